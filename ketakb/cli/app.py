"""The root Typer app. Command modules register themselves on it; see `ketakb.cli`."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="ketakb",
    help="A cited knowledge base of how ketamine works: look things up, validate records.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
