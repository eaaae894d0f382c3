"""The query commands: list, show, search, claims, explain, conflicts, sources, cite, graph,
stats. Each opens the KB's compiled index, asks `ketakb.query.queries`, and hands the answer to a
renderer in `ketakb.output.render`.

Exit codes: 0 something found, 1 nothing found (or a query naming several records),
2 usage error.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Collection
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, NoReturn, Optional

import typer

from ketakb import vocab
from ketakb.cli import completion
from ketakb.cli.app import app
from ketakb.cli.options import (
    DebugOption,
    FormatOption,
    KbOption,
    MinCertaintyOption,
    NoCacheOption,
    OutputFormat,
    resolve_kb,
)
from ketakb.terminal import safe_text

if TYPE_CHECKING:
    from ketakb.query.queries import KnowledgeBase, Match

TABLE = OutputFormat.table
ThroughOption = Annotated[Optional[list[str]], typer.Option(
    "--through", help="Only chains through this record (repeat for several).",
    show_default=False, autocompletion=completion.record_ids)]


class CiteStyle(str, Enum):
    text = "text"
    bibtex = "bibtex"
    csl_json = "csl-json"


class GraphFormat(str, Enum):
    mermaid = "mermaid"
    dot = "dot"
    json = "json"


def _open(kb: Path | None, no_cache: bool) -> KnowledgeBase:
    from ketakb.query.queries import KnowledgeBase

    return KnowledgeBase.open(resolve_kb(kb).path, use_cache=not no_cache)


def _nothing(message: str | None = None) -> NoReturn:
    if message:
        sys.stderr.write(safe_text(message) + "\n")
    raise typer.Exit(1)


def _lookup(knowledge: KnowledgeBase, query: str) -> Match:
    """The one record `query` names, else exit 1 with suggestions or the candidates."""
    from ketakb.output.render import not_found
    from ketakb.query.queries import NotFound

    try:
        return knowledge.lookup(query)
    except NotFound as err:
        not_found(err, sys.stderr)
        raise typer.Exit(1) from None


def _choice(value: str | None, allowed: Collection[str], option: str) -> str | None:
    """A vocabulary value, or a usage error that names the closest allowed one."""
    if value is None or value in allowed:
        return value
    close = difflib.get_close_matches(value, list(allowed), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f"; one of: {', '.join(allowed)}"
    raise typer.BadParameter(f"'{safe_text(value)}' is not allowed{hint}", param_hint=option)


def _respond(data: object, output: OutputFormat, table: Callable[[IO[str]], None]) -> None:
    """`data` as JSON or YAML, or on TABLE as `table` (a renderer of `ketakb.output.render`, called
    by name in the code, so mypy checks it exists and takes what it is given) writes it."""
    from ketakb.output import render

    if output is TABLE:
        table(sys.stdout)
    else:
        render.emit(data, output.value, sys.stdout)


@app.command("list")
def list_(
    kind: Annotated[Optional[str], typer.Argument(
        help="Only this kind: " + ", ".join(vocab.KINDS.values()) + " (or its folder name).",
        show_default=False, autocompletion=completion.kinds)] = None,
    output: FormatOption = TABLE,
    kb: KbOption = None,
    no_cache: NoCacheOption = False,
    debug: DebugOption = False,
) -> None:
    """List records, grouped by kind, with name and a one-line summary."""
    if kind is not None:
        kind = vocab.KINDS.get(kind, kind)
        _choice(kind, vocab.KINDS.values(), "KIND")
    from ketakb.output import render

    with _open(kb, no_cache) as knowledge:
        records = knowledge.records(kind)
    _respond(records, output, lambda out: render.list_table(records, out))
    if not records:
        _nothing("no records")


@app.command()
def show(
    query: Annotated[list[str], typer.Argument(
        help="An id, name or synonym (any case; several words need no quotes), or a claim "
             "id.", autocompletion=completion.record_ids)],
    output: FormatOption = TABLE,
    kb: KbOption = None,
    no_cache: NoCacheOption = False,
    debug: DebugOption = False,
) -> None:
    """Show one record with every claim that involves it, wherever that claim is stored; or
    one claim with how its certainty was reached, step by step."""
    from ketakb.output import render
    from ketakb.query.queries import NotFound

    text = " ".join(query)
    with _open(kb, no_cache) as knowledge:
        try:
            match = knowledge.lookup(text)
        except NotFound as err:
            claim = None if err.matches else knowledge.show_claim(text.strip())
            if claim is None:
                render.not_found(err, sys.stderr)
                raise typer.Exit(1) from None
            _respond(claim, output, lambda out: render.claim_table(claim, out))
            return
        doc = knowledge.show(match.id)
    assert doc is not None
    _respond(doc, output, lambda out: render.show_table(doc, out))


@app.command()
def search(
    text: Annotated[list[str], typer.Argument(help="Words to look for.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many hits.")
                     ] = 20,
    output: FormatOption = TABLE,
    kb: KbOption = None,
    no_cache: NoCacheOption = False,
    debug: DebugOption = False,
) -> None:
    """Full-text search over names, synonyms, summaries, statements and quotes, ranked."""
    from ketakb.output import render

    with _open(kb, no_cache) as knowledge:
        results = knowledge.search(" ".join(text), limit=limit)
    _respond(results, output, lambda out: render.search_table(results, out))
    if not results:
        _nothing(f"nothing matches '{' '.join(text)}'")


@app.command()
def claims(
    about: Annotated[Optional[str], typer.Option(
        "--about", help="Claims involving this record (id, name or synonym).",
        show_default=False, autocompletion=completion.record_ids)] = None,
    source: Annotated[Optional[str], typer.Option(
        "--source", help="Claims citing this source id as evidence.", show_default=False,
        autocompletion=completion.source_ids)] = None,
    status: Annotated[Optional[str], typer.Option(
        "--status", help="Only this status: " + ", ".join(vocab.STATUSES) + ".",
        show_default=False, autocompletion=completion.statuses)] = None,
    predicate: Annotated[Optional[str], typer.Option(
        "--predicate", help="Only this predicate (see README).", show_default=False,
        autocompletion=completion.predicates)] = None,
    peer_reviewed: Annotated[bool, typer.Option(
        "--peer-reviewed", help="Only claims a peer-reviewed source supports.")] = False,
    min_certainty: MinCertaintyOption = None,
    output: FormatOption = TABLE,
    kb: KbOption = None,
    no_cache: NoCacheOption = False,
    debug: DebugOption = False,
) -> None:
    """Claims, filtered; every filter given must hold."""
    _choice(status, vocab.STATUSES, "--status")
    _choice(predicate, vocab.PREDICATES, "--predicate")
    with _open(kb, no_cache) as knowledge:
        about_id = _lookup(knowledge, about).id if about is not None else None
        if source is not None:
            source = _lookup(knowledge, source).id
        found = knowledge.claims(about=about_id, source=source, status=status,
                                 predicate=predicate, peer_reviewed=peer_reviewed,
                                 min_certainty=min_certainty)
    from ketakb.output import render

    _respond(found, output, lambda out: render.claims_table(found, out))
    if not found:
        _nothing("no claims match")


@app.command()
def explain(
    query: Annotated[list[str], typer.Argument(
        help="The record to explain, usually an effect (id, name or synonym).",
        autocompletion=completion.record_ids)],
    from_: Annotated[str, typer.Option(
        "--from", help="Where the chains start (an agent).",
        autocompletion=completion.agent_ids)] = "ketamine",
    include_withdrawn: Annotated[bool, typer.Option(
        "--all", help="Also follow refuted and outdated claims.")] = False,
    depth: Annotated[int, typer.Option(
        "--depth", min=1, max=12, help="At most this many steps in a chain.")] = 6,
    through: ThroughOption = None,
    output: FormatOption = TABLE,
    kb: KbOption = None,
    no_cache: NoCacheOption = False,
    debug: DebugOption = False,
) -> None:
    """Every chain of claims from ketamine (or --from) to a record, as a tree."""
    with _open(kb, no_cache) as knowledge:
        target = _lookup(knowledge, " ".join(query)).id
        start = _lookup(knowledge, from_).id
        via = [_lookup(knowledge, q).id for q in through or ()]
        result = knowledge.explain(target, start, include_withdrawn=include_withdrawn,
                                   max_depth=depth, through=via)
        ids = [start, target, *(end for path in result["paths"] for claim in path
                                for end in (claim["subject"], claim["object"]))]
        names = knowledge.names(ids)
    from ketakb.output import render

    _respond(result, output, lambda out: render.explain_table(result, names, out))
    if result["truncated"] and not result["paths"]:
        _nothing(f"the search for chains from '{start}' to '{target}' stopped before finding "
                 f"one; {render.NARROW_HINT}")
    if not result["paths"]:
        _nothing(f"no chain of claims leads from '{start}' to '{target}'"
                 + ("" if include_withdrawn else " (try --all to follow refuted claims)"))


@app.command()
def conflicts(
    output: FormatOption = TABLE,
    kb: KbOption = None,
    no_cache: NoCacheOption = False,
    debug: DebugOption = False,
) -> None:
    """Where sources disagree: contested, refuted and outdated claims, and opposing claims."""
    with _open(kb, no_cache) as knowledge:
        result = knowledge.conflicts()
    from ketakb.output import render

    _respond(result, output, lambda out: render.conflicts_table(result, out))
    if not result["disputed"] and not result["opposing"]:
        _nothing("no conflicts")


@app.command()
def sources(
    query: Annotated[Optional[str], typer.Argument(
        help="A source, or a record whose claims' sources to list.", show_default=False,
        autocompletion=completion.record_ids)] = None,
    output: FormatOption = TABLE,
    kb: KbOption = None,
    no_cache: NoCacheOption = False,
    debug: DebugOption = False,
) -> None:
    """The bibliography: every source, one source, or what a record's claims rest on."""
    with _open(kb, no_cache) as knowledge:
        ident = _lookup(knowledge, query).id if query is not None else None
        found = knowledge.sources(ident)
        cited = {s["id"]: len(knowledge.cited_by(s["id"])) for s in found}
    from ketakb.output import render

    _respond(found, output, lambda out: render.sources_table(found, cited, out))
    if not found:
        _nothing("no sources")


@app.command()
def cite(
    query: Annotated[str, typer.Argument(
        help="A source, or a record whose claims' sources to cite.",
        autocompletion=completion.record_ids)],
    style: Annotated[CiteStyle, typer.Option(
        "--style", "-s", help="text, bibtex or csl-json.")] = CiteStyle.text,
    kb: KbOption = None,
    no_cache: NoCacheOption = False,
    debug: DebugOption = False,
) -> None:
    """Citations for a source, or for every source a record's claims rest on."""
    from ketakb.output import citations

    with _open(kb, no_cache) as knowledge:
        found = knowledge.sources(_lookup(knowledge, query).id)
    if not found:
        _nothing("no sources to cite")
    if style is CiteStyle.bibtex:
        sys.stdout.write(citations.bibtex(found))
    elif style is CiteStyle.csl_json:
        from ketakb.output.render import emit

        emit(citations.csl_json(found), "json", sys.stdout)
    else:
        from ketakb.output.render import citations_text

        citations_text(found, sys.stdout)


@app.command()
def graph(
    focus: Annotated[Optional[str], typer.Option(
        "--focus", help="Only records within --depth claims of this one.", show_default=False,
        autocompletion=completion.record_ids)] = None,
    depth: Annotated[Optional[int], typer.Option(
        "--depth", min=0, help="Distance from --focus [default: 2], or the longest chain to "
        "--to [default: 6].", show_default=False)] = None,
    to: Annotated[Optional[str], typer.Option(
        "--to", help="Only the mechanism chains from --from to this record (as explain).",
        show_default=False, autocompletion=completion.record_ids)] = None,
    from_: Annotated[str, typer.Option(
        "--from", help="Where --to chains start.",
        autocompletion=completion.agent_ids)] = "ketamine",
    through: ThroughOption = None,
    no_withdrawn: Annotated[bool, typer.Option(
        "--no-withdrawn", help="Leave out refuted and outdated claims (else dashed).")] = False,
    output: Annotated[GraphFormat, typer.Option(
        "--format", "-f", help="mermaid (for GitHub Markdown), dot (Graphviz) or json.")
    ] = GraphFormat.mermaid,
    kb: KbOption = None,
    no_cache: NoCacheOption = False,
    debug: DebugOption = False,
) -> None:
    """The mechanism graph: records as nodes styled by kind, claims as edges."""
    if focus is not None and to is not None:
        raise typer.BadParameter("give --focus or --to, not both", param_hint="--to")
    if through and to is None:
        raise typer.BadParameter("--through needs --to", param_hint="--through")
    with _open(kb, no_cache) as knowledge:
        focus_id = _lookup(knowledge, focus).id if focus is not None else None
        to_id = _lookup(knowledge, to).id if to is not None else None
        start = _lookup(knowledge, from_).id if to is not None else from_
        via = [_lookup(knowledge, q).id for q in through or ()]
        result = knowledge.graph(focus_id, depth, to=to_id, from_=start, through=via,
                                 include_withdrawn=not no_withdrawn)
    from ketakb.output import render

    if output is GraphFormat.mermaid:
        sys.stdout.write(render.mermaid(result))
    elif output is GraphFormat.dot:
        sys.stdout.write(render.dot(result))
    else:
        render.emit(result, "json", sys.stdout)
    if result["truncated"] and not result["edges"]:
        _nothing(f"the search for chains stopped before finding one; {render.NARROW_HINT}")
    if result["truncated"]:
        sys.stderr.write("only the first chains by length are drawn: the search stopped "
                         f"there; {render.NARROW_HINT}\n")
    if not result["edges"]:
        _nothing("no claims to draw")


@app.command()
def stats(
    sources_dir: Annotated[Optional[Path], typer.Option(
        "--sources-dir", help="Folder of archived source texts: verify the quotes in it.",
        show_default=False)] = None,
    output: FormatOption = TABLE,
    kb: KbOption = None,
    no_cache: NoCacheOption = False,
    debug: DebugOption = False,
) -> None:
    """Counts: records by kind, claims by status, certainty and peer-reviewed support, sources
    by type, quotes verified."""
    if sources_dir is not None and not sources_dir.is_dir():
        raise typer.BadParameter(f"'{sources_dir}' is not a folder", param_hint="--sources-dir")
    with _open(kb, no_cache) as knowledge:
        result = knowledge.stats(sources_dir)
    from ketakb.output import render

    _respond(result, output, lambda out: render.stats_table(result, out))
