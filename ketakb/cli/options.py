"""Options shared by several commands, defined once (as frictionless does) so they read alike."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

KB_ENV = "KETAKB_KB"

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


def bundled_kb() -> Path:
    """The KB shipped with the package: inside it when installed, beside it in a checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "kb"
    return installed if installed.is_dir() else package.parent / "kb"


def resolve_kb(option: Path | None) -> Path:
    """--kb, else $KETAKB_KB, else the bundled KB; a path that is no folder is a usage error."""
    chosen = option or (Path(os.environ[KB_ENV]) if os.environ.get(KB_ENV) else bundled_kb())
    if not chosen.is_dir():
        raise typer.BadParameter(f"'{chosen}' is not a folder", param_hint="--kb")
    return chosen

NoCacheOption = Annotated[
    bool, typer.Option("--no-cache", help="Do not read or write the compiled index cache.")
]
