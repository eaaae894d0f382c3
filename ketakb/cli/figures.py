"""The figures view: the numbers the claims carry, one line each, comparable across claims.

Binding figures come first, the most potent first, with their value as reported, normalised to
nM and as a p-value (pKi …), as the IUPHAR/BPS Guide to Pharmacology lists affinities.
Exit codes as the other queries: 0 found, 1 nothing found, 2 usage error.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ketakb import units, vocab
from ketakb.cli import completion
from ketakb.cli.app import app
from ketakb.cli.options import DebugOption, FormatOption, KbOption, NoCacheOption, OutputFormat
from ketakb.cli.query import _choice, _lookup, _nothing, _open, _respond


@app.command()
def figures(
    about: Annotated[Optional[str], typer.Argument(
        help="Only the figures of claims involving this record, usually an agent.",
        show_default=False, autocompletion=completion.record_ids)] = None,
    measure: Annotated[Optional[str], typer.Option(
        "--measure", help="Only this measure (ki, pki, response_rate …) or group of measures "
        "(" + ", ".join(units.GROUPS) + ").", show_default=False)] = None,
    route: Annotated[Optional[str], typer.Option(
        "--route", help="Only figures for this route of administration ("
        + ", ".join(vocab.ROUTES) + ").", show_default=False)] = None,
    target: Annotated[Optional[str], typer.Option(
        "--target", help="Only the figures of claims that also involve this record.",
        show_default=False, autocompletion=completion.record_ids)] = None,
    output: FormatOption = OutputFormat.table,
    kb: KbOption = None,
    no_cache: NoCacheOption = False,
    debug: DebugOption = False,
) -> None:
    """Figures across claims, binding affinities first by potency, with normalised values."""
    _choice(measure, [*units.GROUPS, *units.MEASURES], "--measure")
    _choice(route, list(vocab.ROUTES), "--route")
    with _open(kb, no_cache) as knowledge:
        about_id = _lookup(knowledge, about).id if about is not None else None
        target_id = _lookup(knowledge, target).id if target is not None else None
        found = knowledge.figures(about_id, measure=measure, target=target_id, route=route)
    from ketakb.output import render

    _respond(found, output, lambda out: render.figures_table(found, out))
    if not found:
        _nothing("no figures match")
