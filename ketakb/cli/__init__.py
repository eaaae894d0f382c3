"""The `ketakb` command line: a thin shell over the library.

Each command module adds its commands to the one Typer app; heavy imports happen inside the
commands, so `--help` and shell completion stay fast.
"""

from __future__ import annotations

import io
import sys

from ketakb.cli import (  # noqa: F401 - registers their commands
    authoring,
    export,
    figures,
    query,
    site,
    timeline,
    validate,
)
from ketakb.cli.app import app
from ketakb.cli.options import INTERNAL_ERROR

__all__ = ["app", "main"]


def _degrade_output() -> None:
    """A character the output encoding lacks (`·` under a C locale or `PYTHONIOENCODING=ascii`,
    `→` in latin-1) is written as a backslash escape instead of ending the run."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def main() -> None:
    """Console entry point: no Python traceback ever reaches a user without --debug."""
    _degrade_output()
    try:
        app()
    except Exception as err:  # a user never sees a traceback without --debug
        if "--debug" in sys.argv:
            raise
        from ketakb.terminal import safe_text

        sys.stderr.write(f"ketakb: internal error: {type(err).__name__}: {safe_text(err)}\n"
                         "  run again with --debug for the traceback\n")
        sys.exit(INTERNAL_ERROR)
