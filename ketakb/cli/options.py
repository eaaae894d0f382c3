"""Options shared by several commands, defined once (as frictionless does) so they read alike."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ketakb import KB_ENV, bundled_kb, default_kb

KbOption = Annotated[
    Optional[Path],
    typer.Option(
        "--kb",
        help=f"Knowledge base folder [default: ${KB_ENV}, else the bundled KB]",
        show_default=False,
    ),
]

DebugOption = Annotated[
    bool, typer.Option("--debug", help="Show Python tracebacks of internal errors.")
]


__all__ = ["KB_ENV", "DebugOption", "FormatOption", "KbOption", "NoCacheOption", "OutputFormat",
           "bundled_kb", "resolve_kb"]


def resolve_kb(option: Path | None) -> Path:
    """--kb, else $KETAKB_KB, else the bundled KB; a path that is no folder is a usage error."""
    chosen = option or default_kb()
    if not chosen.is_dir():
        raise typer.BadParameter(f"'{chosen}' is not a folder", param_hint="--kb")
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
