"""Options shared by several commands, defined once (as frictionless does) so they read alike."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ketakb import FROM_ENV, KB_ENV, KbLocation, bundled_kb, installed_kb, locate_kb
from ketakb.certainty import LEVELS
from ketakb.terminal import safe_text

KbOption = Annotated[
    Optional[Path],
    typer.Option(
        "--kb",
        help=f"Knowledge base folder [default: the nearest kb/ of a ketakb project from the "
        f"working directory up, else ${KB_ENV}, else the bundled KB]",
        show_default=False,
    ),
]

#: Every command takes it (the internal-error message says to run again with it); `main`
#: lets the traceback through when it is given, and `validate` also puts the traceback of an
#: error in one file into that file's KB099 finding.
DebugOption = Annotated[
    bool, typer.Option("--debug", help="Show Python tracebacks of internal errors.")
]

#: Exit code of an internal error (a bug), apart from findings (1) and usage errors (2).
INTERNAL_ERROR = 3


__all__ = ["INTERNAL_ERROR", "KB_ENV", "DebugOption", "FormatOption", "KbOption",
           "MinCertaintyOption", "NoCacheOption", "OutputFormat", "bundled_kb",
           "refuse_installed", "resolve_kb", "writable_kb"]


def resolve_kb(option: Path | None, *, param_hint: str = "--kb") -> KbLocation:
    """The KB a command works on (see `ketakb.locate_kb`); one that is no folder is a usage
    error naming where the path came from: the option, or $KETAKB_KB."""
    chosen = locate_kb(option)
    if chosen.path.is_dir():
        return chosen
    problem = "is a file, not a KB folder" if chosen.path.is_file() else "is not a folder"
    if chosen.origin == FROM_ENV:
        raise typer.BadParameter(f"'{chosen.path}' {problem}; set ${KB_ENV} to a KB folder, "
                                 "unset it, or give --kb DIR", param_hint=f"${KB_ENV}")
    raise typer.BadParameter(f"'{chosen.path}' {problem}", param_hint=param_hint)


def refuse_installed(command: str, paths: list[Path]) -> None:
    """Records are never written into the installed package's copy of the KB: `pip install`
    would overwrite them, and the curator's clone would not see them. A usage error (exit 2)."""
    installed = installed_kb()
    if installed is not None and any(p.resolve().is_relative_to(installed) for p in paths):
        sys.stderr.write(f"ketakb {command}: refusing to write into the installed package's KB "
                         f"({installed}); run this in your clone (in or below the folder that "
                         "holds kb/), or give --kb DIR\n")
        raise typer.Exit(2)


def writable_kb(command: str, option: Path | None) -> Path:
    """The KB `command` writes to (see `resolve_kb`), unless it is the installed package's."""
    chosen = resolve_kb(option).path
    refuse_installed(command, [chosen])
    return chosen

NoCacheOption = Annotated[
    bool, typer.Option("--no-cache", help="Do not read or write the compiled index cache.")
]


class OutputFormat(str, Enum):
    """How the query commands print: a human table, or a documented JSON or YAML shape."""

    table = "table"
    json = "json"
    yaml = "yaml"


FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="table (plain text when piped), json or yaml."),
]

#: The levels `--min-certainty` takes: those of `ketakb.certainty.LEVELS` above none.
MIN_LEVELS = LEVELS[1:]


def _min_level(value: str | None) -> str | None:
    """A level of MIN_LEVELS, or a usage error that lists them."""
    if value is not None and value not in MIN_LEVELS:
        raise typer.BadParameter(f"'{safe_text(value)}' is not a level; one of: "
                                 f"{', '.join(MIN_LEVELS)}")
    return value


def _levels(incomplete: str) -> list[str]:
    return [level for level in MIN_LEVELS if level.startswith(incomplete)]


#: Only claims at least this certain.
MinCertaintyOption = Annotated[
    Optional[str],
    typer.Option("--min-certainty", callback=_min_level, autocompletion=_levels,
                 show_default=False, help="Only claims at least this certain (GRADE-style, "
                 "computed from the evidence): " + ", ".join(MIN_LEVELS) + "."),
]
