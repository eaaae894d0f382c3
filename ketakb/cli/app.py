"""The root Typer app. Command modules register themselves on it; see `ketakb.cli`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ketakb.cli.options import INTERNAL_ERROR, DebugOption

app = typer.Typer(
    name="ketakb",
    help="A cited knowledge base of how ketamine works: look things up, validate records.",
    epilog=f"Exit codes: 0 ok, 1 problems or nothing found, 2 usage error, {INTERNAL_ERROR} "
    "internal error (a bug; --debug shows its traceback).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from ketakb import __version__

        sys.stdout.write(f"ketakb {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", is_eager=True, callback=_print_version,
        help="Show the version and exit.")] = False,
    debug: DebugOption = False,
) -> None:
    """Options before the command: `ketakb --version`, `ketakb --debug CMD`."""
