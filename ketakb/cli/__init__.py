"""The `ketakb` command line: a thin shell over the library.

Each command module adds its commands to the one Typer app; heavy imports happen inside the
commands, so `--help` and shell completion stay fast.
"""

from __future__ import annotations

import sys

from ketakb.cli import authoring, export, query, site, validate  # noqa: F401 - registers their commands
from ketakb.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point: no Python traceback ever reaches a user without --debug."""
    try:
        app()
    except Exception as err:  # a user never sees a traceback without --debug
        if "--debug" in sys.argv:
            raise
        sys.stderr.write(f"ketakb: internal error: {type(err).__name__}: {err}\n"
                         "  run again with --debug for the traceback\n")
        sys.exit(2)
