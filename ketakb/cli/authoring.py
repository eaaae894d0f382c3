"""`ketakb new` and `ketakb fmt`: writing records. The logic lives in `ketakb.authoring`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ketakb.cli import completion
from ketakb.cli.app import app
from ketakb.cli.options import DebugOption, KbOption, refuse_installed, resolve_kb, writable_kb
from ketakb.terminal import safe_text


@app.command()
def new(
    kind: Annotated[str, typer.Argument(
        help="Kind of record: source, agent, receptor, pathway, effect, condition (or the "
        "folder name, e.g. agents).", show_default=False, autocompletion=completion.kinds)],
    ident: Annotated[str, typer.Argument(
        metavar="ID", help="Id of the new record (lower-case kebab-case).",
        show_default=False)],
    kb: KbOption = None,
    debug: DebugOption = False,
) -> None:
    """Write a commented skeleton record at kb/<folder>/<ID>.yaml.

    Exit 0 written, 1 the id is taken, 2 usage error (unknown kind, invalid id, no KB, or
    the installed package's copy of the KB, which is never written to).
    """
    from ketakb.authoring.new import AuthoringError, new_record

    root = writable_kb("new", kb)
    try:
        path = new_record(root, kind, ident)
    except AuthoringError as err:
        sys.stderr.write(f"ketakb new: {safe_text(err)}\n")
        raise typer.Exit(2 if err.usage else 1) from None
    sys.stdout.write(f"wrote {safe_text(path)}\n")


@app.command()
def fmt(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        help="Record files, kind folders or KB folders [default: the KB]; with --kb, those "
        "outside that KB are passed over.", show_default=False)] = None,
    kb: KbOption = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Write nothing; exit 1 and list the files that would change.")] = False,
    debug: DebugOption = False,
) -> None:
    """Rewrite records in canonical form (key order, safe quoting, sorted lists, wrapping).

    Files with comments, invalid records and anything that would not read back exactly are
    reported and left alone. The installed package's copy of the KB is never rewritten. Exit 0
    all canonical (or rewritten), 1 a file would change (--check) or was left alone, 2 usage
    error.
    """
    from ketakb.authoring.fmt import CHANGED, OUTSIDE, SKIPPED, format_paths

    within = resolve_kb(kb).path if paths and kb is not None else None
    targets = list(paths) if paths else [resolve_kb(kb).path]
    if not check:
        refuse_installed("fmt", targets)
    results = format_paths(targets, check=check, kb=within)
    changed = [r for r in results if r.outcome == CHANGED]
    skipped = [r for r in results if r.outcome == SKIPPED]
    outside = [r for r in results if r.outcome == OUTSIDE]
    for result in changed:
        verb = "would reformat" if check else "reformatted"
        sys.stdout.write(f"{verb} {safe_text(result.display)}\n")
    for result in skipped:
        sys.stderr.write(f"{safe_text(result.display)}: left alone: {safe_text(result.reason)}\n")
    unchanged = len(results) - len(changed) - len(skipped) - len(outside)
    summary = (f"{len(changed)} file(s) {'would be ' if check else ''}reformatted, "
               f"{unchanged} already canonical, {len(skipped)} left alone")
    if outside:
        summary += f", {len(outside)} outside the KB {safe_text(within)} passed over"
    sys.stderr.write(summary + "\n")
    raise typer.Exit(1 if skipped or (check and changed) else 0)
