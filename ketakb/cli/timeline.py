"""`ketakb timeline`: the agents' regulatory actions (approvals, scheduling, label changes,
withdrawals) in date order, from `KnowledgeBase.timeline`.

Exit codes as the other query commands: 0 something found, 1 nothing matches, 2 usage error.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ketakb.cli import completion
from ketakb.cli.app import app
from ketakb.cli.options import DebugOption, FormatOption, KbOption, NoCacheOption, OutputFormat
from ketakb.cli.query import _lookup, _nothing, _open, _respond


@app.command()
def timeline(
    agent: Annotated[Optional[str], typer.Argument(
        help="Only this agent's actions (id, name or synonym).", show_default=False,
        autocompletion=completion.agent_ids)] = None,
    jurisdiction: Annotated[Optional[str], typer.Option(
        "--jurisdiction", help="Only actions in this jurisdiction, e.g. US or EU (any case).",
        show_default=False)] = None,
    agency: Annotated[Optional[str], typer.Option(
        "--agency", help="Only actions of this agency, e.g. FDA or DEA (any case).",
        show_default=False)] = None,
    output: FormatOption = OutputFormat.table,
    kb: KbOption = None,
    no_cache: NoCacheOption = False,
    debug: DebugOption = False,
) -> None:
    """Regulatory actions (approvals, scheduling, label changes …) in date order."""
    with _open(kb, no_cache) as knowledge:
        agent_id = _lookup(knowledge, agent).id if agent is not None else None
        actions = knowledge.timeline(agent_id, jurisdiction=jurisdiction, agency=agency)
    from ketakb.output import render

    _respond(actions, output, lambda out: render.timeline_table(actions, out))
    if not actions:
        _nothing("no regulatory actions match")
