"""Golden outputs of every `ketakb` command: the net under a refactor that must change nothing.

Each case runs one command in-process (as a pipe sees it, or for `-terminal` cases as a
terminal does; no colour, a fixed width) on one of two KBs, copied into a scratch folder that
holds `kb/`, `archives/` and `schemas/` and is the working directory:

- `bundled`: the bundled KB (kb/), with tests/data/archives as its sources folder;
- `generated`: `benchmarks/generate.py` with N=200 and 40 planted errors (seeded, so the same
  files every time), with the archives it writes.

A case's transcript (`<flavour>/<case>.txt` here) holds its exit code, standard output,
standard error and every file it wrote: text as is, anything above `BIG` bytes as its sha256
and size, an SQLite database as its sorted `iterdump()`, a website as a manifest of every
file's sha256 plus the text of a few pages. The scratch folder's absolute path is written
`<WS>`, so transcripts are the same on every machine. When a change to the output is meant,
rewrite every transcript with

    python -m tests.golden

and review the diff.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.main import get_command
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent
REGENERATE = "python -m tests.golden"
FLAVOURS = ("bundled", "generated")
#: Outputs larger than this are kept as sha256 and size, not text, to keep goldens small.
BIG = 50_000
#: The environment of every run: a pipe, no colour, a fixed width, no KB or CI from outside.
ENV: dict[str, str | None] = {
    "NO_COLOR": "1", "COLUMNS": "100", "LINES": "40", "TERM": "dumb", "FORCE_COLOR": None,
    "GITHUB_ACTIONS": None, "KETAKB_KB": None, "CI": None, "PYTHONIOENCODING": None,
}
#: ... and added on a terminal: no progress bar (it depends on time), a fixed size.
TERMINAL_ENV: dict[str, str | None] = {"CI": "1", "TERM": "xterm"}
#: Site pages whose text is kept beside the manifest (the rest are hashes only).
SITE_PAGES = ("index.html", "records/ketamine.html",
              "claims/ketamine-blocks-nmda-receptor-channel.html", "sources/berman-2000.html",
              "kinds/receptor.html", "conflicts.html", "assets/style.css")


@dataclass(frozen=True)
class Case:
    """One command line; `outputs` are paths (files or folders) it writes, recorded after it.

    `mutates` gives the case a fresh copy of the scratch folder (fmt, new), `sqlite` names
    outputs to record as a canonical dump rather than bytes, `site` a website output,
    `terminal` runs it with standard output and error claiming to be a terminal.
    """

    name: str
    args: tuple[str, ...]
    outputs: tuple[str, ...] = ()
    mutates: bool = False
    sqlite: bool = False
    site: bool = False
    #: Run as on a terminal (rich tables and text, no colour), not as through a pipe.
    terminal: bool = False
    #: Which KB flavours the case runs on.
    flavours: tuple[str, ...] = FLAVOURS
    #: A help screen or usage error, laid out by Typer and Click (see `framework_neutral`).
    framework: bool = False


@dataclass(frozen=True)
class Targets:
    """The records a flavour's query cases ask about."""

    record: str
    effect: str
    receptor: str
    source: str
    kind: str = "receptor"
    words: tuple[str, ...] = ("nmda", "receptor")


TARGETS = {
    "bundled": Targets(record="ketamine", effect="rapid-antidepressant-effect",
                       receptor="nmda-receptor", source="berman-2000"),
    "generated": Targets(record="ketamine", effect="rapid-antidepressant-effect",
                         receptor="nmda-receptor", source="abdallah-2018-7"),
}

QUERY_FORMATS = ("table", "json", "yaml")
#: Cases also run as on a terminal, where tables and text are drawn by rich.
TERMINAL_CASES = ("validate-text", "validate-text-strict-sources", "list-table", "show-table",
                  "show-unknown-table", "search-table", "claims-about-table", "explain-table",
                  "conflicts-table", "sources-table", "sources-record-table",
                  "stats-sources-table", "timeline-table", "figures-table")
#: Cases whose output does not depend on the KB run on the bundled one only.
ANY = ("bundled",)
#: Help screens and usage errors: on the bundled KB, kept framework-neutral.
FRAMEWORK: dict[str, Any] = {"flavours": ANY, "framework": True}


def cases(flavour: str) -> list[Case]:
    """Every case of `flavour`, in a fixed order with unique names."""
    t = TARGETS[flavour]
    kb = ("--kb", "kb")
    found: list[Case] = [
        Case("version", ("--version",), flavours=ANY),
        Case("help", ("--help",), **FRAMEWORK),
        Case("rules", ("rules",), flavours=ANY),
        Case("schema", ("schema", "--out", "out"), outputs=("out",), flavours=ANY),
        Case("schema-check", ("schema", "--check", "--out", "schemas"), flavours=ANY),
        Case("schema-check-missing", ("schema", "--check", "--out", "out"), flavours=ANY),
    ]
    for command in command_names():
        found.append(Case(f"{command}-help", (command, "--help"), **FRAMEWORK))
    for fmt in ("text", "json", "github"):
        found += [
            Case(f"validate-{fmt}", ("validate", *kb, "-f", fmt)),
            Case(f"validate-{fmt}-strict-sources",
                 ("validate", *kb, "--strict", "--sources-dir", "archives", "-f", fmt)),
        ]
    found += [
        Case("validate-no-cache", ("validate", *kb, "--no-cache", "--strict")),
        Case("validate-missing-kb", ("validate", "--kb", "no-such-kb"), **FRAMEWORK),
    ]
    for fmt in QUERY_FORMATS:
        f = ("-f", fmt)
        found += [
            Case(f"list-{fmt}", ("list", *kb, *f)),
            Case(f"list-kind-{fmt}", ("list", t.kind, *kb, *f)),
            Case(f"show-{fmt}", ("show", t.record, *kb, *f)),
            Case(f"show-words-{fmt}", ("show", *t.words, *kb, *f)),
            Case(f"show-unknown-{fmt}", ("show", "no-such-record", *kb, *f)),
            Case(f"search-{fmt}", ("search", *t.words, "-n", "5", *kb, *f)),
            Case(f"claims-{fmt}", ("claims", *kb, *f)),
            Case(f"claims-about-{fmt}", ("claims", "--about", t.receptor, *kb, *f)),
            Case(f"claims-filtered-{fmt}", ("claims", "--status", "established",
                                             "--peer-reviewed", *kb, *f)),
            Case(f"claims-source-{fmt}", ("claims", "--source", t.source, *kb, *f)),
            Case(f"explain-{fmt}", ("explain", t.effect, *kb, *f)),
            Case(f"explain-all-{fmt}", ("explain", t.effect, "--all", "--depth", "3",
                                        "--through", t.receptor, *kb, *f)),
            Case(f"conflicts-{fmt}", ("conflicts", *kb, *f)),
            Case(f"sources-{fmt}", ("sources", *kb, *f)),
            Case(f"sources-one-{fmt}", ("sources", t.source, *kb, *f)),
            Case(f"sources-record-{fmt}", ("sources", t.record, *kb, *f)),
            Case(f"stats-{fmt}", ("stats", *kb, *f)),
            Case(f"stats-sources-{fmt}", ("stats", "--sources-dir", "archives", *kb, *f)),
            Case(f"timeline-{fmt}", ("timeline", *kb, *f)),
            Case(f"timeline-filtered-{fmt}", ("timeline", t.record, "--jurisdiction", "us",
                                              "--agency", "DEA", *kb, *f)),
            Case(f"figures-{fmt}", ("figures", *kb, *f)),
            Case(f"figures-record-{fmt}", ("figures", t.record, *kb, *f)),
            Case(f"figures-measure-{fmt}", ("figures", "--measure", "duration", "--target",
                                            t.effect, *kb, *f)),
            Case(f"figures-none-{fmt}", ("figures", "--measure", "binding", *kb, *f)),
        ]
    found += [Case(f"{case.name}-terminal", case.args, terminal=True) for case in list(found)
              if case.name in TERMINAL_CASES]
    for style in ("text", "bibtex", "csl-json"):
        found += [
            Case(f"cite-{style}", ("cite", t.source, "-s", style, *kb)),
            Case(f"cite-record-{style}", ("cite", t.receptor, "-s", style, *kb)),
        ]
    for fmt in ("mermaid", "dot", "json"):
        f = ("-f", fmt)
        found += [
            Case(f"graph-{fmt}", ("graph", *kb, *f)),
            Case(f"graph-focus-{fmt}", ("graph", "--focus", t.receptor, "--depth", "1",
                                        "--no-withdrawn", *kb, *f)),
            Case(f"graph-to-{fmt}", ("graph", "--to", t.effect, "--from", t.record,
                                     "--through", t.receptor, *kb, *f)),
        ]
    found += [
        Case("export-json", ("export", "-f", "json", "-o", "out/kb.json", *kb), ("out",)),
        Case("export-json-stdout", ("export", "-f", "json", "-o", "-", *kb)),
        Case("export-jsonl", ("export", "-f", "jsonl", "-o", "out/kb.jsonl", *kb), ("out",)),
        Case("export-jsonl-stdout", ("export", "-f", "jsonl", "-o", "-", *kb)),
        Case("export-csv", ("export", "-f", "csv", "-o", "out", *kb), ("out",)),
        Case("export-kgx", ("export", "-f", "kgx", "-o", "out", *kb), ("out",)),
        Case("export-sqlite", ("export", "-f", "sqlite", "-o", "out/kb.sqlite", *kb), ("out",),
             sqlite=True),
        Case("site", ("site", "-o", "out", *kb), ("out",), site=True),
        Case("fmt-check", ("fmt", "--check", *kb), mutates=True),
        Case("fmt-check-folder", ("fmt", "--check", "kb/agents", *kb), mutates=True),
        Case("fmt", ("fmt", *kb), ("kb",), mutates=True),
        Case("new", ("new", "receptor", "golden-receptor", *kb),
             ("kb/receptors/golden-receptor.yaml",), mutates=True),
        Case("new-taken", ("new", "agent", t.record, *kb), mutates=True),
        Case("new-bad-kind", ("new", "nonsense", "x", *kb), mutates=True, **FRAMEWORK),
        Case("new-folder-kind", ("new", "agents", "golden-agent", *kb),
             ("kb/agents/golden-agent.yaml",), mutates=True),
    ]
    found += [  # mistakes a user makes: each is a finding or a usage error, never a traceback
        Case("show-no-query", ("show", *kb), **FRAMEWORK),
        Case("list-bad-kind", ("list", "nonsense", *kb), **FRAMEWORK),
        Case("claims-bad-status", ("claims", "--status", "nonsense", *kb), **FRAMEWORK),
        Case("export-bad-format", ("export", "-f", "xml", "-o", "out", *kb), **FRAMEWORK),
        Case("export-csv-stdout", ("export", "-f", "csv", "-o", "-", *kb), **FRAMEWORK),
        Case("site-into-kb", ("site", "-o", "kb", *kb), mutates=True, flavours=ANY),
        Case("explain-unknown", ("explain", "no-such-record", *kb)),
        Case("cite-unknown", ("cite", "no-such-source", *kb)),
        Case("sources-unknown", ("sources", "no-such-source", *kb)),
        Case("graph-focus-unknown", ("graph", "--focus", "no-such-record", *kb)),
        Case("timeline-unknown", ("timeline", "no-such-record", *kb)),
        Case("debug-list", ("--debug", "list", *kb)),
        Case("validate-debug", ("validate", *kb, "--debug")),
    ]
    found = [case for case in found if flavour in case.flavours]
    names = [case.name for case in found]
    assert len(names) == len(set(names)), "case names must be unique"
    return found


def command_names() -> list[str]:
    """Every command of the Typer app, from the app itself: a new command has no goldens."""
    from ketakb.cli import app

    group = get_command(app)
    commands = getattr(group, "commands", {})
    return sorted(commands)


# --- building the scratch folders -------------------------------------------------------

def make_workspace(flavour: str, where: Path) -> Path:
    """A scratch folder holding `kb/`, `archives/` and `schemas/` of `flavour`, to run
    commands in."""
    where.mkdir(parents=True)
    shutil.copytree(ROOT / "schemas", where / "schemas")
    if flavour == "bundled":
        shutil.copytree(ROOT / "kb", where / "kb")
        shutil.copytree(ROOT / "tests" / "data" / "archives", where / "archives")
    elif flavour == "generated":
        sys.path.insert(0, str(ROOT / "benchmarks"))
        try:
            import generate
        finally:
            sys.path.remove(str(ROOT / "benchmarks"))
        generate.generate(200, where, errors=40)
    else:
        raise ValueError(f"unknown flavour {flavour!r}")
    return where


def copy_workspace(workspace: Path, target: Path) -> None:
    """A copy of `workspace` that behaves the same: symbolic links stay links, and one that
    leads somewhere inside `workspace` leads to the same place inside the copy."""
    shutil.copytree(workspace, target, symlinks=True)
    for link in (p for p in target.rglob("*") if p.is_symlink()):
        pointed = Path(os.readlink(link))
        if pointed.is_absolute() and pointed.is_relative_to(workspace):
            link.unlink()
            link.symlink_to(target / pointed.relative_to(workspace))


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


# --- running a case and writing its transcript ------------------------------------------

def _text(data: bytes) -> str:
    """Bytes as a transcript section: text if under `BIG` (undecodable bytes escaped), else
    its digest; a missing final newline is marked, so "a" and "a\\n" differ."""
    if len(data) > BIG:
        return f"<sha256 {hashlib.sha256(data).hexdigest()} size {len(data)}>\n"
    text = data.decode("utf-8", errors="backslashreplace")
    if text and not text.endswith("\n"):
        text += "\n<no newline at end>\n"
    return text


def _sqlite_dump(path: Path) -> str:
    """A database's content in a canonical order (the bytes of a file are not stable): the
    sorted `iterdump()`, its statements other than rows as text, then each table's rows as
    one section, so a difference names the table it is in. The rows of full-text tables'
    shadow tables are left out: they are SQLite's own encoding of the rows kept here (the
    search commands' goldens cover what they find), and may differ between SQLite versions."""
    connection = sqlite3.connect(path)
    try:
        lines = sorted(connection.iterdump())
        virtual = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")]
    finally:
        connection.close()
    shadow = {f"{name}_{part}" for name in virtual
              for part in ("data", "idx", "docsize", "config", "content")}
    rows: dict[str, list[str]] = {}
    other: list[str] = []
    for line in lines:
        match = re.match(r'INSERT INTO "([^"]+)"', line)
        if match and match.group(1) in shadow:
            continue
        if match:
            rows.setdefault(match.group(1), []).append(line)
        else:
            other.append(line)
    parts = [f"--- statements\n{_text(_lines(other))}"]
    parts += [f"--- table {table}: {len(found)} rows\n{_text(_lines(found))}"
              for table, found in sorted(rows.items())]
    return "".join(parts)


def _lines(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode("utf-8")


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]


def _record_outputs(case: Case, cwd: Path, before: dict[str, str]) -> list[str]:
    """Sections for every file a case wrote (or, for a KB folder, changed)."""
    parts: list[str] = []
    for output in case.outputs:
        target = cwd / output
        if not target.exists():
            parts.append(f"=== {output}: not written\n")
            continue
        for path in _files(target):
            rel = path.relative_to(cwd).as_posix()
            data = path.read_bytes()
            if case.sqlite:
                parts.append(f"=== file {rel} (sorted iterdump)\n{_sqlite_dump(path)}")
            elif case.site:
                digest = hashlib.sha256(data).hexdigest()
                parts.append(f"=== file {rel} sha256 {digest} size {len(data)}\n")
                if path.relative_to(target).as_posix() in SITE_PAGES:
                    parts.append(f"=== text {rel}\n{_text(data)}")
            elif before:
                digest = hashlib.sha256(data).hexdigest()
                if before.get(rel) != digest:
                    parts.append(f"=== changed {rel} sha256 {digest} size {len(data)}\n")
            else:
                parts.append(f"=== file {rel}\n{_text(data)}")
    return parts


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root.parent).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in _files(root)}


#: What Typer and Click add around ketakb's own words in a usage error, and which changes
#: between their releases: the usage line (metavars as `QUERY` or `{query}`), the hint to
#: try --help, "(env var: …)" and "Value error, " in an invalid value's message, and the
#: metavar named by a missing argument.
_FRAMEWORK_LINES = re.compile(r"^(?:Usage: |Try ')")
_FRAMEWORK_WORDS = [
    (re.compile(r" \(env var: [^)]*\)(?=: )"), ""),
    (re.compile(r"(Invalid value for [^:]*: )Value error, "), r"\1"),
    (re.compile(r"Missing argument '[^']*'"), "Missing argument"),
]


def framework_neutral(args: tuple[str, ...], result: Any) -> list[str]:
    """A help screen or usage error as ketakb defines it, not as Typer lays it out.

    A help screen becomes the command's interface: its help text and, for each parameter,
    its names, help, whether it is required and its default, all of which ketakb declares.
    A usage error keeps its exit code and message without the framework's framing, so the
    goldens hold at the lowest supported Typer and Click as at the newest.
    """
    if "--help" in args:
        from ketakb.cli import app

        command = get_command(app)
        for name in args[:-1]:
            command = command.commands[name]  # type: ignore[attr-defined]
        return [f"=== exit {result.exit_code}\n", "=== interface\n",
                *(f"{line}\n" for line in _interface(command))]
    stderr = "".join(line for line in _text(result.stderr_bytes).splitlines(keepends=True)
                     if not _FRAMEWORK_LINES.match(line))
    for pattern, replacement in _FRAMEWORK_WORDS:
        stderr = pattern.sub(replacement, stderr)
    return [f"=== exit {result.exit_code}\n", f"=== stdout\n{_text(result.stdout_bytes)}",
            f"=== stderr (framework lines left out)\n{stderr.strip()}\n"]


def _interface(command: Any) -> list[str]:
    """The help text of `command` and what each of its parameters declares."""
    lines = [f"help: {' '.join((command.help or '').split())}"]
    for param in command.params:
        default = param.default
        if default is None or type(default).__name__ in ("Sentinel", "_Sentinel") or \
                callable(default):
            default = None
        default = getattr(default, "value", default)
        lines.append(" | ".join([
            "/".join([*param.opts, *param.secondary_opts]),
            f"required={param.required}", f"default={default!r}",
            " ".join((getattr(param, "help", None) or "").split())]))
    if hasattr(command, "commands"):
        lines += [f"command: {name}" for name in sorted(command.commands)]
    return lines


def normalise(text: str, cwd: Path) -> str:
    """The scratch folder's absolute path (as given and resolved) written `<WS>`."""
    for path in sorted({str(cwd.resolve()), str(cwd)}, key=len, reverse=True):
        text = text.replace(path, "<WS>")
    return text


def run_case(case: Case, workspace: Path, scratch: Path) -> str:
    """The transcript of `case` run in `workspace` (or, if it mutates, in a copy under
    `scratch`): command, exit code, stdout, stderr and the files it wrote."""
    from ketakb.cli import app

    cwd = workspace
    if case.mutates:
        cwd = scratch / case.name
        copy_workspace(workspace, cwd)
    before = _hashes(cwd / "kb") if "kb" in case.outputs else {}
    try:
        runner = TerminalRunner() if case.terminal else CliRunner()
        with working_directory(cwd):
            result = runner.invoke(app, list(case.args), env=ENV | TERMINAL_ENV
                                   if case.terminal else ENV)
        parts = [f"$ ketakb {' '.join(case.args)}\n"]
        if case.framework:
            parts += framework_neutral(case.args, result)
        else:
            parts += [f"=== exit {result.exit_code}\n",
                      f"=== stdout\n{_text(result.stdout_bytes)}",
                      f"=== stderr\n{_text(result.stderr_bytes)}"]
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            parts.append(f"=== exception {type(result.exception).__name__}: "
                         f"{result.exception}\n")
        parts += _record_outputs(case, cwd, before)
    finally:
        if not case.mutates:  # the shared workspace is left as the next case expects it
            for output in case.outputs:
                target = cwd / output
                if target.is_dir():
                    shutil.rmtree(target)
                elif target.exists():
                    target.unlink()
    return normalise("".join(parts), cwd)


class TerminalRunner(CliRunner):
    """A runner whose standard output and error say they are a terminal."""

    @contextmanager
    def isolation(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with super().isolation(*args, **kwargs) as streams:
            for stream in (sys.stdout, sys.stderr):
                stream.isatty = lambda: True  # type: ignore[method-assign]
            yield streams


def golden_path(flavour: str, case: Case, root: Path = GOLDEN) -> Path:
    return root / flavour / f"{case.name}.txt"


def difference(expected: str | None, actual: str, name: str, *, lines: int = 60) -> str | None:
    """None if `actual` is `expected` byte for byte; else what differs, as the first `lines`
    lines of a unified diff, and how to rewrite the goldens if the change is meant."""
    if expected == actual:
        return None
    if expected is None:
        return f"{name}: no golden transcript; write it with `{REGENERATE}`"
    diff = list(difflib.unified_diff(expected.splitlines(keepends=True),
                                     actual.splitlines(keepends=True),
                                     f"golden/{name}", f"actual/{name}"))
    shown = "".join(diff[:lines]) or "(differs only in line endings)\n"
    more = f"... {len(diff) - lines} more diff lines\n" if len(diff) > lines else ""
    return (f"{name}: output differs from its golden transcript. If the change is meant, "
            f"rewrite the goldens with `{REGENERATE}` and review the diff.\n{shown}{more}")


def read_golden(path: Path) -> str | None:
    return path.read_bytes().decode("utf-8") if path.is_file() else None


def transcripts(flavour: str, scratch: Path,
                progress: Callable[[str], None] | None = None) -> dict[str, str]:
    """Every case of `flavour` run in a fresh workspace under `scratch`: name → transcript."""
    workspace = make_workspace(flavour, scratch / "ws")
    found: dict[str, str] = {}
    for case in cases(flavour):
        if progress is not None:
            progress(case.name)
        found[case.name] = run_case(case, workspace, scratch)
    return found


def regenerate(root: Path = GOLDEN) -> None:
    """Rewrite every golden transcript (and drop those of cases that no longer exist)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KETAKB_CACHE_DIR"] = str(Path(tmp) / "cache")
        for flavour in FLAVOURS:
            folder = root / flavour
            if folder.is_dir():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            for name, text in transcripts(flavour, Path(tmp) / flavour).items():
                (folder / f"{name}.txt").write_bytes(text.encode("utf-8"))


__all__ = ["BIG", "FLAVOURS", "GOLDEN", "REGENERATE", "Case", "cases", "command_names",
           "difference", "golden_path", "make_workspace", "read_golden", "regenerate",
           "run_case", "transcripts"]
