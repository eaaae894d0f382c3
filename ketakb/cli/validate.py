"""`ketakb validate`, `ketakb rules` and `ketakb schema`: the commands curators and CI run."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated, Optional, TextIO

import typer

from ketakb.cli.app import app
from ketakb.cli.options import DebugOption, KbOption, NoCacheOption, resolve_kb
from ketakb.formats import ReportFormat
from ketakb.terminal import safe_text


def _default_format() -> ReportFormat:
    return ReportFormat.github if os.environ.get("GITHUB_ACTIONS") == "true" else ReportFormat.text


class _ProgressBar:
    """A one-line progress bar on stderr for long runs: only on a terminal, never in CI.

    Drawn once a run has taken half a second, at most ten times a second, and erased at the
    end, so short runs and piped output never see it.
    """

    DELAY = 0.5
    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.start = time.monotonic()
        self.last = 0.0
        self.drawn = False

    @classmethod
    def for_terminal(cls, stream: TextIO) -> _ProgressBar | None:
        if os.environ.get("CI") or os.environ.get("GITHUB_ACTIONS"):
            return None
        try:
            return cls(stream) if stream.isatty() else None
        except (AttributeError, ValueError):
            return None

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.start < self.DELAY or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        filled = self.WIDTH * done // max(total, 1)
        self.stream.write(f"\rchecking [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
                          f"{done}/{total} files")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


@app.command()
def validate(
    path: Annotated[Optional[Path], typer.Argument(
        help="KB folder to check (same as --kb) [default: see --kb].", show_default=False)] = None,
    kb: KbOption = None,
    sources_dir: Annotated[Optional[Path], typer.Option(
        "--sources-dir", help="Folder of archived source texts; every quote is checked in it.",
        show_default=False)] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail the run too.")] = False,
    output: Annotated[Optional[ReportFormat], typer.Option(
        "--format", "-f", help="text, json or github [default: github when GITHUB_ACTIONS is "
        "set, else text]", show_default=False)] = None,
    no_cache: NoCacheOption = False,
    debug: DebugOption = False,
) -> None:
    """Check every record, alone and against each other. Exit 0 clean, 1 problems, 2 usage.

    Which KB was checked, and how it was chosen, is said on stderr: stdout holds the report.
    """
    from ketakb.files import printable_path, undecodable
    from ketakb.output.reporters import REPORTERS
    from ketakb.pipeline.validation import validate_kb

    given, hint = (path, "path") if path else (kb, "--kb")
    if given is not None and given.is_file():
        raise typer.BadParameter(
            f"'{given}' is a file: validate takes the KB folder (the cross-record checks need "
            "every record); run `ketakb validate DIR`", param_hint=hint)
    chosen = resolve_kb(given, param_hint=hint)
    if sources_dir is not None and not sources_dir.is_dir():
        raise typer.BadParameter(f"'{sources_dir}' is not a folder", param_hint="--sources-dir")
    if sources_dir is not None and undecodable(os.path.abspath(sources_dir)):
        raise typer.BadParameter(f"'{printable_path(str(sources_dir))}' is not a valid UTF-8 "
                                 "path; rename the folder", param_hint="--sources-dir")
    bar = _ProgressBar.for_terminal(sys.stderr)
    try:
        report = validate_kb(chosen.path, sources_dir=sources_dir, use_cache=not no_cache,
                             debug=debug, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    sys.stderr.write(f"checked KB: {safe_text(str(chosen.path))} ({chosen.origin})\n")
    REPORTERS[output or _default_format()](report, sys.stdout)
    raise typer.Exit(0 if report.ok(strict) else 1)


@app.command()
def rules(debug: DebugOption = False) -> None:
    """List the rule codes validate reports, with their severity."""
    from ketakb.findings import RULES

    for rule in RULES.values():
        sys.stdout.write(f"{rule.code}  {rule.severity:<7}  {rule.name:<21} {rule.summary}\n")


@app.command()
def schema(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the schemas to.")] = Path(
        "schemas"),
    check: Annotated[bool, typer.Option(
        "--check", help="Write nothing; exit 1 if the folder's schemas differ from the models."
    )] = False,
    debug: DebugOption = False,
) -> None:
    """Write the JSON Schema of every kind (draft-07, for editors) generated from the models."""
    from ketakb.atomic import atomic_write
    from ketakb.authoring.schema import schema_files, stale_schema_files

    if check:
        stale = stale_schema_files(out)
        for name in stale:
            sys.stdout.write(f"{out / name}: out of date; run `ketakb schema --out {out}`\n")
        raise typer.Exit(1 if stale else 0)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in schema_files().items():
        atomic_write(out / name, text)
        sys.stdout.write(f"wrote {out / name}\n")
