"""Renderers: turn what `ketakb.query.queries` returns into tables, JSON, YAML, Mermaid or DOT.

Text from records is data. On a terminal it goes into rich `Text` objects, which never parse
markup, after `safe_text` has made control characters (terminal escapes) visible; piped, it is
written as plain lines, uncoloured and never wrapped. Rich is imported only for a terminal,
PyYAML only for `--format yaml`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, TypedDict, Union

from ketakb import vocab
from ketakb.query.chains import NOT_ASSERTED, REVERSED_PREDICATES, step_ends
from ketakb.query.queries import NotFound
from ketakb.shapes import (
    SIDES,
    ChainDirection,
    Claim,
    Conflicts,
    Explanation,
    Figure,
    FigureHit,
    Graph,
    Record,
    Regulatory,
    SearchHit,
    Shown,
    ShownClaim,
    Stats,
    display_name,
)
from ketakb.terminal import UNSAFE, fit_json, is_terminal, json_text, safe_text, shows_as_is
from ketakb.units import compared_with, measured_in, value_text

if TYPE_CHECKING:
    from rich.console import Console

#: A piece of a line: (text, rich style or "").
Span = tuple[str, str]
Cell = Union[str, Span]

STATUS_STYLES = {
    "established": "bold green", "supported": "green", "hypothesis": "yellow",
    "contested": "magenta", "unsupported": "yellow dim", "refuted": "red",
    "outdated": "red dim",
}
KIND_COLOURS = {
    "agent": "#fde2e4", "receptor": "#dbe8fb", "pathway": "#ddf3dd", "effect": "#fff2c2",
    "condition": "#ead9f7", "source": "#eeeeee",
}
KIND_STROKES = {
    "agent": "#c0392b", "receptor": "#2e5c9e", "pathway": "#2e7d32", "effect": "#b7950b",
    "condition": "#6c3483", "source": "#777777",
}


class Writer:
    """Lines and tables to one stream: rich on a terminal, plain text otherwise."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.rich = is_terminal(out)
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from ketakb.terminal import console

            self._console = console(self.out)
        return self._console

    def line(self, *spans: Cell) -> None:
        parts = [(s, "") if isinstance(s, str) else s for s in spans]
        if not self.rich:
            self.out.write("".join(safe_text(text) for text, _ in parts) + "\n")
            return
        from rich.text import Text

        text = Text()
        for chunk, style in parts:
            text.append(safe_text(chunk), style=style or None)
        self.console.print(text)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
        cells = [[(c, "") if isinstance(c, str) else c for c in row] for row in rows]
        if not self.rich:
            texts = [list(headers), *[[safe_text(t) for t, _ in row] for row in cells]]
            widths = [max(len(row[i]) for row in texts) for i in range(len(headers))]
            for line in texts:
                padded = [t.ljust(w) for t, w in zip(line[:-1], widths, strict=False)]
                self.out.write("  ".join([*padded, line[-1]]).rstrip() + "\n")
            return
        from rich import box
        from rich.table import Table
        from rich.text import Text

        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for header in headers:
            table.add_column(header)
        for row in cells:
            table.add_row(*(Text(safe_text(t), style=s or "") for t, s in row))
        self.console.print(table)


def status_span(status: str) -> Span:
    return (f"[{status}]", STATUS_STYLES.get(status, ""))


def claim_span(claim: Claim) -> Span:
    """A claim's status and certainty level: `[supported · moderate]`."""
    return (f"[{claim['status']} · {claim['certainty']['level']}]",
            STATUS_STYLES.get(claim["status"], ""))


def emit(data: object, fmt: str, out: IO[str]) -> None:
    """JSON (indented, UTF-8, unsafe characters escaped) or YAML of a JSON-ready value.

    PyYAML writes NEL, bidi controls and U+2028 raw when it may write Unicode; such data, or a
    stream that cannot carry the text, gets ASCII-only YAML (the rest escaped) instead.
    """
    if fmt == "yaml":
        import yaml

        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1 << 20)
        if not shows_as_is(text, out):
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=False, width=1 << 20)
        out.write(text)
    else:
        out.write(fit_json(json_text(data, indent=2) + "\n", out))


# -- records --------------------------------------------------------------------------------


def _first_line(text: str | None, width: int = 100) -> str:
    if not text:
        return ""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def list_table(records: list[Record], out: IO[str]) -> None:
    writer = Writer(out)
    kinds = list(dict.fromkeys(r["kind"] for r in records))
    for n, kind in enumerate(kinds):
        group = [r for r in records if r["kind"] == kind]
        if n:
            writer.line()
        writer.line((f"{vocab.FOLDER_OF_KIND.get(kind, kind)} ({len(group)})", "bold"))
        writer.table(["id", "name", "summary"], [
            [(r["id"], "cyan"), display_name(r), _first_line(r.get("summary"))]
            for r in group])


def _value_text(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(_value_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value_text(v)}" for k, v in value.items())
    return str(value)


def claim_block(writer: Writer, claim: Claim, indent: str = "") -> None:
    writer.line(indent, (claim["id"], "cyan"), "  ", claim_span(claim))
    writer.line(indent, "  ", claim["subject"], " ", (claim["predicate"], "bold"), " ",
                claim["object"])
    writer.line(indent, "  ", claim["statement"])
    if claim.get("context"):
        writer.line(indent, "  ", ("context: ", "dim"), _value_text(claim["context"]))
    for figure in claim.get("figures") or []:
        writer.line(indent, "  ", ("figure: ", "dim"), figure_text(figure))
    writer.line(indent, "  ", ("sources: ", "dim"), evidence_text(claim))


def figure_text(figure: Figure) -> str:
    """`measure value unit (route; in whom; vs comparator; n=…; source)`, as a claim block
    shows it."""
    amount = " ".join(t for t in (value_text(figure), figure.get("unit")) if t)
    about = [figure.get("route"), measured_in(figure),
             figure.get("comparator") and f"vs {compared_with(figure)}",
             figure.get("n") and f"n={figure['n']}", figure["source"]]
    return f"{figure['measure']} {amount} ({'; '.join(t for t in about if t)})"


def figures_table(rows: list[FigureHit], out: IO[str]) -> None:
    """One line a figure, GtoPdb-style: what the claim links, the measure, the value as
    reported, normalised (nM for binding) and as a p-value, the route, what it was measured
    in, the comparator (an incidence means little without the placebo's), the source."""
    if not rows:
        return
    writer = Writer(out)
    table: list[list[Cell]] = []
    for row in rows:
        figure = row["figure"]
        normalised, p_scale = figure.get("normalised"), figure.get("p_scale")
        table.append([
            f"{row['subject']} → {row['object']}", (figure["measure"], "bold"),
            " ".join(t for t in (value_text(figure), figure.get("unit")) if t),
            f"{value_text(normalised, digits=4)} {normalised['unit']}" if normalised else "",
            f"{p_scale['measure']} {value_text(p_scale)}" if p_scale else "",
            figure.get("route") or "", measured_in(figure), compared_with(figure),
            (figure["source"], "cyan")])
    writer.table(["claim", "measure", "reported", "normalised", "p", "route", "in", "vs",
                  "source"], table)


def evidence_text(claim: Claim) -> str:
    """The sources, each once, with its stance unless it supports the claim."""
    shown = (e["source"] if e["stance"] == "supports" else f"{e['source']} ({e['stance']})"
             for e in claim["evidence"])
    return ", ".join(dict.fromkeys(shown))


def show_table(doc: Shown, out: IO[str]) -> None:
    writer = Writer(out)
    writer.line((display_name(doc), "bold"), "  ", (f"{doc['id']} · {doc['kind']}", "dim"))
    skip = {"id", "kind", "name", "title", "claims"}
    for key, value in doc.items():
        if key in skip or value in (None, [], {}):
            continue
        writer.line((f"{key}: ", "dim"), _value_text(value))
    claims = doc["claims"]
    writer.line()
    writer.line((f"claims ({len(claims)})", "bold"))
    for claim in claims:
        claim_block(writer, claim, "  ")


def claim_table(doc: ShownClaim, out: IO[str]) -> None:
    """One claim, then how its certainty was reached: each unit weighed (its sources, design,
    system, whether direct and peer-reviewed, its level and the steps to it), the items not
    weighed, then S, D and the level (the assessment's last three steps)."""
    writer = Writer(out)
    claim_block(writer, doc)
    found = doc["assessment"]
    writer.line()
    writer.line(("certainty: ", "bold"), (found["level"], "bold"),
                (f"  (claim system: {found['system']})", "dim"))
    for unit in found["units"]:
        about = [unit["design"], unit["system"] or "no system of its own",
                 "direct" if unit["direct"] else "indirect",
                 "peer-reviewed" if unit["peer_reviewed"] else "not peer-reviewed"]
        study = f" ({', '.join(unit['sources'])})" if unit["sources"] != [unit["id"]] else ""
        writer.line("  ", (unit["stance"], "bold"), " ", (unit["id"], "cyan"), study, ": ",
                    " · ".join(about), " → ", (unit["level"], "bold"))
        for step in unit["steps"]:
            writer.line("      ", (step, "dim"))
    why = {item["source"]: item["stance"] if item["stance"] == "qualifies" else item["standing"]
           for item in found["ignored"]}
    if why:
        writer.line("  ", ("not weighed: ", "dim"),
                    ", ".join(f"{source} ({reason})" for source, reason in why.items()))
    for step in found["steps"][-3:]:
        writer.line("  ", step)


def claims_table(claims: list[Claim], out: IO[str]) -> None:
    writer = Writer(out)
    for n, claim in enumerate(claims):
        if n:
            writer.line()
        claim_block(writer, claim)


def not_found(err: NotFound, out: IO[str]) -> None:
    """"no record matches …; did you mean …" or the list of the several matches."""
    writer = Writer(out)
    if err.matches:
        writer.line(f"several records match '{err.query}'; use one of their ids:")
        choices = err.matches
    else:
        writer.line(f"no record matches '{err.query}'"
                    + ("; did you mean:" if err.suggestions else ""))
        choices = err.suggestions
    for match in choices:
        writer.line("  ", (match.id, "cyan"), f"  {match.name} ({match.kind})")


# -- search ---------------------------------------------------------------------------------


def search_table(results: list[SearchHit], out: IO[str]) -> None:
    writer = Writer(out)
    for hit in results:
        writer.line((f"{hit['score']:7.2f}", "dim"), "  ", (hit["id"], "cyan"),
                    f"  ({hit['kind']})  ", _first_line(hit["name"], 80))
        for matched in hit["matched"]:
            writer.line("           ", (f"{matched['field']}: ", "dim"), matched["text"])


# -- explain --------------------------------------------------------------------------------


#: What to do when the chain search stopped early (`explain`'s "truncated").
NARROW_HINT = "narrow it with --through or a smaller --depth"


def chain_count(paths: Sequence[object], truncated: bool) -> str:
    """'3 chains', or, when the search stopped early, what it found and how to narrow it."""
    if not truncated:
        return f"{len(paths)} chain{'' if len(paths) == 1 else 's'}"
    if not paths:
        return f"the search stopped before finding a chain; {NARROW_HINT}"
    return (f"the first {len(paths)} chain{'' if len(paths) == 1 else 's'} by length; the "
            f"search stopped there ({NARROW_HINT})")


class _Branch(TypedDict):
    """A step of the explain tree and the steps that follow it, by claim id; the last step
    of a chain carries the lines that end it: its direction and its weakest link."""

    claim: Claim
    children: dict[str, _Branch]
    net: list[str]


#: How a step whose predicate breaks a chain's direction is marked in the tree.
_BREAK_MARKS = {vocab.STRUCTURAL: "structural, not causal",
                vocab.UNDIRECTED: "no direction stated"}


def explain_table(result: Explanation, names: dict[str, str], out: IO[str]) -> None:
    """The chains as a tree: common first steps shared, one step a line, and after the last
    step of each chain what the chain asserts about the direction of the effect."""
    writer = Writer(out)
    paths = result["paths"]
    start, target = result["from"], result["target"]
    writer.line((names.get(start, start), "bold"), " → ", (names.get(target, target), "bold"),
                ": ", chain_count(paths, result["truncated"]))
    tree: dict[str, _Branch] = {}
    for path, chain in zip(paths, result["chains"], strict=True):
        node = tree
        for claim in path:
            branch = node.setdefault(claim["id"], {"claim": claim, "children": {},
                                                   "net": []})
            node = branch["children"]
        weakest = chain["weakest"]
        branch["net"] = [_net_text(path, chain, names),
                         f"⇒ weakest link: {weakest['claim']} ({weakest['level']})"]
    writer.line((names.get(start, start), "bold"), (f" ({start})", "dim"))
    _tree_lines(writer, tree, "", names)


def _net_text(path: list[Claim], chain: ChainDirection, names: dict[str, str]) -> str:
    """The chain's net direction, or which steps keep it from having one."""
    if chain["net"] != NOT_ASSERTED:
        start, target = step_ends(path[0])[0], step_ends(path[-1])[1]
        return (f"⇒ net: {names.get(start, start)} {chain['net']} "
                f"{names.get(target, target)}")
    why = [f"{claim['id']}: {_BREAK_MARKS[effect]}"
           for claim, effect in zip(path, chain["effects"], strict=True)
           if claim["id"] in chain["breaks"]]
    return f"⇒ net: not asserted ({'; '.join(why)})"


def _tree_lines(writer: Writer, tree: dict[str, _Branch], prefix: str,
                names: dict[str, str]) -> None:
    items = list(tree.values())
    for n, item in enumerate(items):
        last = n == len(items) - 1
        claim = item["claim"]
        reverse = claim["predicate"] in REVERSED_PREDICATES
        end = claim["subject"] if reverse else claim["object"]
        arrow = " ← " if reverse else " → "
        mark = _BREAK_MARKS.get(vocab.effect_of(claim["predicate"]))
        writer.line(prefix, "└── " if last else "├── ", (claim["predicate"], "bold"),
                    (f" ({mark})", "dim") if mark else "", arrow,
                    (names.get(end, end), "bold"), "  ", claim_span(claim), "  ",
                    (evidence_text(claim), "dim"))
        inner = prefix + ("    " if last else "│   ")
        for line in item["net"]:
            writer.line(inner, (line, "italic"))
        _tree_lines(writer, item["children"], inner, names)


# -- conflicts ------------------------------------------------------------------------------


def conflicts_table(result: Conflicts, out: IO[str]) -> None:
    writer = Writer(out)
    disputed, opposing = result["disputed"], result["opposing"]
    writer.line((f"disputed claims ({len(disputed)})", "bold"))
    for item in disputed:
        claim = item["claim"]
        found = claim["certainty"]
        writer.line("  ", (claim["id"], "cyan"), "  ", claim_span(claim))
        writer.line("    ", claim["statement"])
        writer.line("    ", ("certainty: ", "dim"), f"{found['level']} (support "
                    f"{found['support']}, dispute {found['dispute']})")
        for side in SIDES:
            if item[side]:
                writer.line("    ", (f"{side}: ", "dim"), ", ".join(item[side]))
    writer.line()
    writer.line((f"opposing claims ({len(opposing)})", "bold"))
    for opposition in opposing:  # one side's claims, then "vs" the other side's
        first = opposition["claims"][0]["predicate"]
        for claim in opposition["claims"]:
            writer.line("  " if claim["predicate"] == first else "  vs ", claim["subject"], " ",
                        (claim["predicate"], "bold"), " ", claim["object"], "  ",
                        claim_span(claim), "  ", (claim["id"], "cyan"), "  ",
                        (evidence_text(claim), "dim"))


# -- sources and citations ------------------------------------------------------------------


def sources_table(sources: list[Record], cited: dict[str, int], out: IO[str]) -> None:
    Writer(out).table(["id", "type", "date", "claims", "title"], [
        [(s["id"], "cyan"), s["type"], s.get("date") or "", str(cited.get(s["id"], 0)),
         _first_line(s["title"], 90)] for s in sources])


def citations_text(sources: list[Record], out: IO[str]) -> None:
    from ketakb.output.citations import text_citation

    for source in sources:
        out.write(safe_text(text_citation(source)) + "\n")


# -- statistics -----------------------------------------------------------------------------


def stats_table(stats: Stats, out: IO[str]) -> None:
    writer = Writer(out)
    writer.line(("records", "bold"))
    writer.table(["kind", "count"], [[k, str(v)] for k, v in stats["records"].items()])
    claims = stats["claims"]
    writer.line()
    writer.line((f"claims ({claims['total']})", "bold"))
    writer.table(["status", "count"], [[status_span(k), str(v)]
                                       for k, v in claims["by_status"].items()])
    writer.line(f"with peer-reviewed support: {claims['peer_reviewed']} "
                f"({claims['peer_reviewed_share']:.0%})")
    writer.line()
    writer.line(("claims by certainty", "bold"))
    writer.table(["certainty", "count"], [[k, str(v)] for k, v in claims["by_certainty"].items()])
    writer.line()
    writer.line(("sources by type", "bold"))
    writer.table(["type", "count"], [[k, str(v)] for k, v in stats["sources"].items()])
    quotes = stats["quotes"]
    writer.line()
    checked = (f"{quotes['verified']} verified in the archived texts, "
               f"{quotes['not_found']} not found" if quotes["verified"] is not None
               else "not checked (give --sources-dir)")
    writer.line(("quotes: ", "bold"), f"{quotes['total']}, {quotes['archived']} from archived "
                f"sources: {checked}")


ACTION_STYLES = {"approved": "green", "recommended": "green dim", "rejected": "red",
                 "withdrawn": "red", "boxed-warning": "yellow"}


def timeline_table(actions: list[Regulatory], out: IO[str]) -> None:
    """One row per action, in the order given (`KnowledgeBase.timeline`'s date order)."""
    Writer(out).table(["date", "agent", "agency", "where", "action", "product", "indication",
                       "source"], [
        [a["date"], (a["agent"], "cyan"), a["agency"], a["jurisdiction"],
         (a["action"] + (f" ({a['schedule']})" if a["schedule"] else ""),
          ACTION_STYLES.get(a["action"], "")),
         _first_line(a["product"], 40), a["indication"] or "", a["source"]]
        for a in actions])


# -- graphs ---------------------------------------------------------------------------------

_MERMAID_SAFE = re.compile(r"[A-Za-z0-9 ,.:()'/+_\-]")


def mermaid_id(ident: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", ident)


def mermaid_text(text: str) -> str:
    """Every character Mermaid or Markdown might read as syntax becomes an entity code."""
    return "".join(c if _MERMAID_SAFE.fullmatch(c) else f"#{ord(c)};" for c in text)


def mermaid(graph: Graph) -> str:
    """A `flowchart LR` for a ```mermaid block: a class per kind, withdrawn claims dashed,
    structural links (`part_of` …) without an arrowhead, since they assert no cause."""
    lines = ["flowchart LR"]
    for node in graph["nodes"]:
        lines.append(f'    {mermaid_id(node["id"])}["{mermaid_text(node["name"])}"]'
                     f':::{node["kind"]}')
    for edge in graph["edges"]:
        label = edge["predicate"]
        if edge["status"] in vocab.WITHDRAWN_STATUSES:
            label += f" ({edge['status']})"
            arrow = "-.-" if _structural(edge["predicate"]) else "-.->"
        else:
            arrow = "---" if _structural(edge["predicate"]) else "-->"
        lines.append(f'    {mermaid_id(edge["subject"])} {arrow}|"{mermaid_text(label)}"| '
                     f'{mermaid_id(edge["object"])}')
    for kind in sorted({n["kind"] for n in graph["nodes"]}):
        lines.append(f"    classDef {kind} fill:{KIND_COLOURS.get(kind, '#ffffff')},"
                     f"stroke:{KIND_STROKES.get(kind, '#333333')},color:#111111")
    return "\n".join(lines) + "\n"


def _structural(predicate: str) -> bool:
    return vocab.effect_of(predicate) == vocab.STRUCTURAL


def _dot_text(text: str) -> str:
    text = UNSAFE.sub(" ", text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(graph: Graph) -> str:
    """A Graphviz digraph: nodes filled by kind, withdrawn claims dashed, structural links
    without an arrowhead."""
    lines = ["digraph ketakb {", "    rankdir=LR;",
             '    node [shape=box, style="rounded,filled", fontname="Helvetica"];',
             '    edge [fontname="Helvetica", fontsize=10];']
    for node in graph["nodes"]:
        lines.append(f"    {_dot_text(node['id'])} [label={_dot_text(node['name'])}, "
                     f"fillcolor={_dot_text(KIND_COLOURS.get(node['kind'], '#ffffff'))}];")
    for edge in graph["edges"]:
        withdrawn = edge["status"] in vocab.WITHDRAWN_STATUSES
        label = edge["predicate"] + (f" ({edge['status']})" if withdrawn else "")
        style = (", style=dashed" if withdrawn else "") + (
            ", arrowhead=none" if _structural(edge["predicate"]) else "")
        lines.append(f"    {_dot_text(edge['subject'])} -> {_dot_text(edge['object'])} "
                     f"[label={_dot_text(label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
