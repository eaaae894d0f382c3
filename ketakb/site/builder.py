"""`ketakb site`: the KB as static HTML pages, built from the query API (`ketakb.query.queries`).

`build(kb)` returns every file of the site as {relative path: bytes}; `write_site` puts them
in a folder. Nothing depends on the time or the order of the file system, so the same KB gives
byte-identical files. The pages need no server and no network: styles and the search script
are package data (`assets/`), the search index is a script that sets a global (a page opened
from file:// may not fetch JSON), and diagrams are SVG drawn here (`ketakb.site.diagram`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from ketakb import __version__, vocab
from ketakb.atomic import atomic_folder
from ketakb.output.citations import bibtex_entry, bibtex_key, csl_item, text_citation
from ketakb.query.chains import step_ends
from ketakb.query.queries import KnowledgeBase
from ketakb.shapes import Claim, Record, Regulatory, display_name
from ketakb.site.diagram import Edge, Node, diagram, longest_path_layers
from ketakb.site.markup import (
    Child,
    Href,
    Markup,
    doi_url,
    el,
    external_url,
    internal,
    pmc_url,
    pubmed_url,
    raw_join,
    xref_url,
)
from ketakb.units import compared_with, measured_in, value_text

#: The agent whose mechanism chains the mechanism pages draw.
AGENT = "ketamine"
#: Most chains a mechanism page lists as text (the diagram draws the claims of all of them).
MAX_LISTED_CHAINS = 200
#: A file in every built site: a folder holding it may be replaced by a new build.
MARKER = ".ketakb-site"
ASSETS = ("style.css", "search.js")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "form-action 'self'; base-uri 'none'")
KIND_TITLES = {"agent": "Agents", "receptor": "Receptors and targets", "pathway": "Pathways",
               "effect": "Effects", "condition": "Conditions", "source": "Sources"}
KIND_SINGULAR = {"agent": "agent", "receptor": "receptor or target", "pathway": "pathway",
                 "effect": "effect", "condition": "condition", "source": "source"}


class _Event(NamedTuple):
    """A line of the regulatory timeline: when, what kind of event, the id of the record or
    claim, and how the line shows it."""

    date: str
    what: str
    id: str
    item: Markup


class SiteError(Exception):
    """The site was not written (the output folder is not one a build may replace)."""


def record_path(record: Record) -> str:
    folder = "sources" if record["kind"] == "source" else "records"
    return f"{folder}/{record['id']}.html"


def claim_path(ident: str) -> str:
    return f"claims/{ident}.html"


def mechanism_path(effect: str) -> str:
    return f"mechanisms/{effect}.html"


def _words(predicate: str) -> str:
    return predicate.replace("_", " ")


class _Builder:
    """Holds what every page needs: records by id, claims, and which claims touch what."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.records = {r["id"]: r for r in kb.records()}
        self.claims = sorted(kb.claims(), key=lambda c: c["id"])
        self.involving: dict[str, list[Claim]] = defaultdict(list)
        self.citing: dict[str, list[Claim]] = defaultdict(list)
        for claim in self.claims:
            for ident in dict.fromkeys((claim["subject"], claim["object"], claim["host"])):
                self.involving[ident].append(claim)
            cited = [e["source"] for e in claim["evidence"]] + \
                [f["source"] for f in claim["figures"]]
            for source in dict.fromkeys(cited):
                self.citing[source].append(claim)
        self.files: dict[str, bytes] = {}
        self._chrome: dict[str, tuple[Markup, Markup]] = {}

    # -- pieces ----------------------------------------------------------------------------

    def name(self, ident: str) -> str:
        record = self.records.get(ident)
        return ident if record is None else display_name(record)

    def link(self, root: str, ident: str) -> Markup:
        """A link to the record's page, by its name; the bare id if there is no such record."""
        record = self.records.get(ident)
        if record is None:
            return el("span", ident, class_="missing")
        return el("a", self.name(ident), href=internal(root + record_path(record)))

    def claim_link(self, root: str, claim: Claim, text: str | None = None) -> Markup:
        return el("a", text or claim["statement"], href=internal(root + claim_path(claim["id"])))

    @staticmethod
    def status(status: str) -> Markup:
        return el("span", status, class_=f"badge status-{status}",
                  title=vocab.STATUSES.get(status))

    @staticmethod
    def certainty(claim: Claim) -> Markup:
        """The claim's certainty level, with S and D in its title."""
        found = claim["certainty"]
        return el("span", found["level"], class_=f"badge certainty certainty-{found['level']}",
                  title=f"certainty {found['level']}: support {found['support']}, dispute "
                        f"{found['dispute']} ({found['system']} claim)")

    @staticmethod
    def stance(stance: str) -> Markup:
        return el("span", stance, class_=f"badge stance-{stance}",
                  title=vocab.STANCES.get(stance))

    @staticmethod
    def fields(rows: Iterable[tuple[str, Child]]) -> Markup:
        """A definition list of the rows that have a value."""
        return el("dl", *(raw_join(el("dt", label), el("dd", value))
                          for label, value in rows if value not in (None, "", [])),
                  class_="fields")

    @staticmethod
    def table(head: Sequence[str], rows: Iterable[Sequence[Child]], caption: str | None = None,
              ) -> Markup:
        return el("div", el(
            "table", el("caption", caption) if caption else None,
            el("thead", el("tr", *(el("th", h, scope="col") for h in head))),
            el("tbody", *(el("tr", *(el("td", cell) for cell in row)) for row in rows))),
            class_="table-wrap")

    def claims_table(self, root: str, claims: list[Claim]) -> Markup:
        return self.table(["Claim", "Subject", "Predicate", "Object", "Status", "Certainty"], [
            [self.claim_link(root, c), self.link(root, c["subject"]), _words(c["predicate"]),
             self.link(root, c["object"]), self.status(c["status"]), self.certainty(c)]
            for c in claims])

    def page(self, path: str, title: str, *body: Child, scripts: Sequence[str] = ()) -> None:
        """A whole HTML document around `body`, stored at `path`."""
        root = "../" * path.count("/")
        top, bottom = self.chrome(root)
        document = raw_join(
            Markup('<!doctype html>\n<html lang="en">'),
            el("head",
               el("meta", charset="utf-8"),
               el("meta", name="viewport", content="width=device-width, initial-scale=1"),
               el("meta", http_equiv="Content-Security-Policy", content=CSP),
               el("title", f"{title} · ketakb"),
               el("link", rel="stylesheet", href=internal(root + "assets/style.css"))),
            Markup("<body>"), top,
            el("main", el("h1", title), *body, id="main", tabindex="-1"),
            bottom, (el("script", src=internal(root + s)) for s in scripts),
            Markup("</body></html>\n"))
        self.files[path] = document.encode("utf-8")

    def chrome(self, root: str) -> tuple[Markup, Markup]:
        """What every page at this depth has before and after its <main>: the skip link,
        header, navigation and search box; the footer. Made once per depth."""
        if root not in self._chrome:
            def to(target: str) -> Href:
                return internal(root + target)

            nav = el("nav", el("ul", *(el("li", el("a", label, href=to(target)))
                                       for label, target in (
                ("Home", "index.html"), ("Mechanisms", "mechanisms/index.html"),
                ("Conflicts", "conflicts.html"), ("Timeline", "timeline.html"),
                ("Targets", "targets.html"), ("Search", "search.html")))), aria_label="Site")
            search = el("form", el("label", "Search the KB", for_="site-q"),
                        el("input", id="site-q", name="q", type="search", autocomplete="off"),
                        el("button", "Search", type="submit"),
                        role="search", action=to("search.html"), method="get")
            top = raw_join(
                el("a", "Skip to content", href=internal("#main"), class_="skip"),
                el("header", el("a", "ketakb", href=to("index.html"), class_="brand"), nav,
                   search))
            bottom = el("footer", el("p", f"Built by ketakb {__version__} from "
                                          f"{len(self.records)} records and {len(self.claims)} "
                                          "claims. Every claim cites its sources; read them "
                                          "before relying on it. Not medical advice."))
            self._chrome[root] = (top, bottom)
        return self._chrome[root]

    # -- pages -----------------------------------------------------------------------------

    def build(self) -> dict[str, bytes]:
        self.home()
        for kind in vocab.KIND_ORDER:
            self.kind_index(kind)
        for record in self.records.values():
            if record["kind"] == "source":
                self.source_page(record)
            else:
                self.record_page(record)
        for claim in self.claims:
            self.claim_page(claim)
        self.mechanisms()
        self.conflicts()
        self.timeline()
        self.targets()
        self.search()
        for asset in ASSETS:
            self.files[f"assets/{asset}"] = (resources.files("ketakb.site") / "assets" /
                                             asset).read_bytes()
        self.files[MARKER] = b"A site built by `ketakb site`; a new build replaces this folder.\n"
        return dict(sorted(self.files.items()))

    def home(self) -> None:
        stats = self.kb.stats()
        ways = el("ul", *(el("li", el("a", label, href=internal(target)), ": ", what)
                          for label, target, what in (
            ("Mechanisms", "mechanisms/index.html",
             f"how {self.name(AGENT)} leads to each effect, chain by chain, as diagrams"),
            ("Conflicts", "conflicts.html", "claims the sources disagree on"),
            ("Timeline", "timeline.html", "regulatory decisions in date order"),
            ("Targets", "targets.html", "what each drug binds, with any affinities reported"),
            ("Search", "search.html", "every record, source and claim"))))
        kinds = el("ul", *(el("li", el("a", KIND_TITLES[kind], href=internal(f"kinds/{kind}.html")),
                                 f" ({stats['records'][kind]})") for kind in vocab.KIND_ORDER))
        self.page(
            "index.html", "ketakb: how ketamine works, claim by claim",
            el("p", "A structured knowledge base of ketamine's mechanisms, effects and uses. "
                    "Every statement is a claim linking two records, with a status and the "
                    "sources that support, dispute or qualify it, quoted word for word."),
            el("h2", "Ways in"), ways, el("h2", "Browse by kind"), kinds,
            el("h2", "What is in it"),
            self.table(["Kind", "Records"], [[KIND_TITLES[k], str(n)]
                                             for k, n in stats["records"].items()],
                       caption="Records by kind"),
            self.table(["Status", "Meaning", "Claims"], [
                [self.status(s), vocab.STATUSES[s], str(n)]
                for s, n in stats["claims"]["by_status"].items()], caption="Claims by status"),
            self.table(["Type", "Meaning", "Sources"], [
                [t, vocab.SOURCE_TYPES[t], str(n)] for t, n in stats["sources"].items()],
                caption="Sources by type"),
            el("p", f"{stats['claims']['peer_reviewed']} of {stats['claims']['total']} claims "
                    "have a peer-reviewed source that supports them."))

    def kind_index(self, kind: str) -> None:
        records = [r for r in self.records.values() if r["kind"] == kind]
        root = "../"
        if kind == "source":
            rows = [[self.link(root, r["id"]), r["type"], r.get("date") or "",
                     str(len(self.citing.get(r["id"], [])))] for r in records]
            body = self.table(["Title", "Type", "Date", "Claims citing it"], rows)
        else:
            rows = [[self.link(root, r["id"]), r["id"], r.get("summary") or ""] for r in records]
            body = self.table(["Name", "Id", "Summary"], rows)
        self.page(f"kinds/{kind}.html", f"{KIND_TITLES[kind]} ({len(records)})", body)

    def record_page(self, record: Record) -> None:
        root = "../"
        ident = record["id"]
        claims = self.involving.get(ident, [])
        xrefs = {p: v for p, v in (record.get("xrefs") or {}).items() if v is not None}
        identifiers = el("ul", *(el("li", self.xref(prefix, value))
                                 for prefix, value in sorted(xrefs.items()))) if xrefs else None
        synonyms = el("ul", *(el("li", s) for s in record.get("synonyms", []))) \
            if record.get("synonyms") else None
        extra: list[tuple[str, Child]] = [
            ("Class", record.get("class")),
            ("Effect type", f"{record['type']}: {vocab.EFFECT_TYPES.get(record['type'], '')}"
             if record["kind"] == "effect" else None),
            ("Genes", ", ".join(record.get("genes", []))),
        ]
        body: list[Child] = [
            el("p", record.get("summary") or "", class_="lead"),
            self.fields([("Id", el("code", ident)), ("Kind", KIND_SINGULAR[record["kind"]]),
                         *extra, ("Synonyms", synonyms), ("Identifiers", identifiers),
                         ("Notes", record.get("notes"))])]
        if record["kind"] == "effect":
            body.append(el("p", el("a", f"How {self.name(AGENT)} leads to it",
                                   href=internal(root + mechanism_path(ident)))))
        if any(ident in (c["subject"], c["object"]) for c in claims):
            body += [el("h2", "Neighbourhood"), self.neighbourhood(root, record, claims)]
        actions = self.kb.timeline(ident) if record.get("regulatory") else []
        if actions:
            body += [el("h2", "Regulatory timeline"), self.actions_table(root, actions)]
        body += [el("h2", f"Claims ({len(claims)})"),
                 self.claims_table(root, claims) if claims else el("p", "No claim involves it.")]
        self.page(record_path(record), self.name(ident), *body)

    def actions_table(self, root: str, actions: list[Regulatory]) -> Markup:
        """An agent's regulatory actions, in `KnowledgeBase.timeline`'s date order."""
        return self.table(["Date", "Agency", "Where", "Action", "Product", "Indication",
                           "Source"], [
            [el("time", a["date"], datetime=a["date"]), a["agency"], a["jurisdiction"],
             el("span", a["action"] + (f" ({a['schedule']})" if a["schedule"] else ""),
                title=vocab.REGULATORY_ACTIONS.get(a["action"])),
             a["product"], self.link(root, a["indication"]) if a["indication"] else "",
             self.link(root, a["source"])] for a in actions])

    @staticmethod
    def xref(prefix: str, value: str) -> Markup:
        url = xref_url(prefix, value)
        label = f"{prefix}: {value}"
        return el("a", label, href=url) if url else el("span", label)

    def neighbourhood(self, root: str, record: Record, claims: list[Claim]) -> Markup:
        """What points at the record (left), the record, what it points at (right)."""
        ident = record["id"]
        touching = [c for c in claims if ident in (c["subject"], c["object"])]
        layer = {ident: 1}
        for claim in touching:
            if claim["object"] == ident:
                layer[claim["subject"]] = 0
        for claim in touching:
            layer.setdefault(claim["object"], 2)
        nodes = [self.node(root, other, n) for other, n in sorted(layer.items())
                 if other in self.records]
        edges = [self.edge(root, c) for c in touching]
        return diagram(nodes, edges, ident="neighbourhood",
                       title=f"Claims around {self.name(ident)}",
                       description=f"{len(edges)} claims link {self.name(ident)} with "
                                   f"{len(nodes) - 1} records; each arrow goes from subject to "
                                   "object and links to its claim. The table below lists them.")

    def node(self, root: str, ident: str, layer: int) -> Node:
        record = self.records[ident]
        return Node(ident, self.name(ident), record["kind"],
                    internal(root + record_path(record)), layer)

    def edge(self, root: str, claim: Claim) -> Edge:
        return Edge(claim["subject"], claim["object"], _words(claim["predicate"]),
                    internal(root + claim_path(claim["id"])),
                    f"{claim['statement']} ({claim['status']})")

    def claim_page(self, claim: Claim) -> None:
        root = "../"
        predicate = vocab.PREDICATES.get(claim["predicate"])
        body: list[Child] = [
            self.fields([
                ("Id", el("code", claim["id"])),
                ("Subject", self.link(root, claim["subject"])),
                ("Predicate", raw_join(el("code", claim["predicate"]),
                                       f": {predicate.description}" if predicate else "")),
                ("Object", self.link(root, claim["object"])),
                ("Status", raw_join(self.status(claim["status"]), " ",
                                    vocab.STATUSES.get(claim["status"], ""))),
                ("Certainty", raw_join(self.certainty(claim), " ",
                                       _certainty_text(claim))),
                ("Recorded in", self.link(root, claim["host"])),
                ("Research inventory", ", ".join(claim["inventory"])),
                ("Notes", claim["notes"])])]
        context = claim["context"] or {}
        if context:
            body += [el("h2", "Context"), self.fields(sorted(
                (key.replace("_", " ").capitalize(), str(value))
                for key, value in context.items() if value is not None))]
        if claim["figures"]:
            body += [el("h2", "Figures"), self.table(
                ["Measure", "Value", "Unit", "Route", "Population", "Comparator", "n",
                 "Timepoint", "Definition", "Source"],
                [[_words(f["measure"]), value_text(f), f.get("unit") or "",
                  f.get("route") or "", measured_in(f),
                  compared_with(f), "" if f.get("n") is None else str(f["n"]),
                  f.get("timepoint") or "",
                  f.get("definition") or "", self.link(root, f["source"])]
                 for f in claim["figures"]])]
        shown = self.kb.show_claim(claim["id"])
        if shown is not None:
            body += [el("h2", "How sure: the certainty rule, step by step"),
                     el("ol", *(el("li", step) for step in shown["assessment"]["steps"]),
                        class_="steps")]
        body.append(el("h2", f"Evidence ({len(claim['evidence'])})"))
        for evidence in claim["evidence"]:
            source = self.records.get(evidence["source"])
            kind = source.get("type") if source else None
            body += [
                el("h3", self.link(root, evidence["source"])),
                el("p", self.stance(evidence["stance"]), " ",
                   f"{kind}: {vocab.SOURCE_TYPES.get(kind, '')}" if kind else "",
                   " (peer-reviewed)" if source and _peer_reviewed(source) else ""),
                el("blockquote", el("p", evidence["quote"])) if evidence["quote"] else None,
                self.fields([("Where", evidence["locator"]), ("Notes", evidence["notes"])])]
        self.page(claim_path(claim["id"]), claim["statement"], *body)

    def source_page(self, source: Record) -> None:
        root = "../"
        ident = source["id"]
        links: list[tuple[str, Child]] = []
        for label, value, make in (("DOI", source.get("doi"), doi_url),
                                   ("PubMed", source.get("pmid"), pubmed_url),
                                   ("PubMed Central", source.get("pmcid"), pmc_url),
                                   ("Web", source.get("url"), external_url)):
            if value:
                url = make(value)
                links.append((label, el("a", value, href=url) if url else el("span", value)))
        citing = self.citing.get(ident, [])
        rows = []
        for claim in citing:
            stances = sorted({e["stance"] for e in claim["evidence"] if e["source"] == ident})
            figures = any(f["source"] == ident for f in claim["figures"])
            side = [self.stance(s) for s in stances] + (["cited for figures"] if figures
                                                         else [])
            rows.append([self.claim_link(root, claim), raw_join(*_spaced(side)),
                         self.status(claim["status"]), self.certainty(claim)])
        bib = bibtex_entry(source, bibtex_key(ident, set()))
        csl = json.dumps([csl_item(source)], ensure_ascii=False, indent=2) + "\n"
        self.files[f"sources/{ident}.bib"] = bib.encode("utf-8")
        self.files[f"sources/{ident}.json"] = csl.encode("utf-8")
        body: list[Child] = [
            self.fields([
                ("Id", el("code", ident)),
                ("Type", f"{source['type']}: {vocab.SOURCE_TYPES.get(source['type'], '')}"),
                ("Peer-reviewed", "yes" if _peer_reviewed(source) else "no"),
                ("Design", f"{source['design']}: {vocab.DESIGNS.get(source['design'], '')}"
                 if source.get("design") else None),
                ("Species", ", ".join(source.get("species", []))),
                ("Participants or animals (n)", str(source["n"]) if "n" in source else None),
                ("Study", source.get("study")),
                ("Standing", self.standing(root, source)),
                ("Authors", ", ".join(source.get("authors", []))),
                ("Journal", source.get("journal")), ("Publisher", source.get("publisher")),
                ("Date", source.get("date")), ("Volume", source.get("volume")),
                ("Issue", source.get("issue")), ("Pages", source.get("pages")), *links,
                ("Archived text", source.get("archive")), ("Summary", source.get("summary")),
                ("Notes", source.get("notes"))]),
            el("h2", f"Claims citing it ({len(citing)})"),
            self.table(["Claim", "Side", "Status", "Certainty"], rows) if rows
            else el("p", "No claim cites it."),
            el("h2", "Cite it"),
            el("h3", "Text (NLM)"), el("p", text_citation(source)),
            el("h3", "BibTeX"), el("pre", el("code", bib)),
            el("p", el("a", "Download BibTeX", href=internal(f"{ident}.bib"), download=True)),
            el("h3", "CSL-JSON"), el("pre", el("code", csl)),
            el("p", el("a", "Download CSL-JSON", href=internal(f"{ident}.json"), download=True))]
        self.page(record_path(source), source["title"], *body)

    def standing(self, root: str, source: Record) -> Markup | None:
        """Whether the source still stands: its standing, when, the source replacing it
        (linked), and notes; nothing for a source with no standing recorded."""
        standing = source.get("standing")
        if not standing:
            return None
        by = standing.get("by")
        return raw_join(
            el("span", standing["status"], title=vocab.STANDINGS.get(standing["status"])),
            f" ({standing['date']})" if standing.get("date") else "",
            raw_join(": replaced by ", self.link(root, by)) if by else "",
            f". {standing['notes']}" if standing.get("notes") else "")

    def mechanisms(self) -> None:
        effects = [r for r in self.records.values() if r["kind"] == "effect"]
        rows = []
        for effect in effects:
            paths = self.kb.explain(effect["id"], AGENT)["paths"] \
                if AGENT in self.records else []
            rows.append([el("a", effect["name"], href=internal(f"{effect['id']}.html")),
                         effect["type"], str(len(paths))])
            self.mechanism_page(effect, paths)
        self.page("mechanisms/index.html", f"Mechanisms: how {self.name(AGENT)} acts",
                  el("p", "For each effect, the chains of claims that lead from "
                          f"{self.name(AGENT)} to it, as `ketakb explain` finds them (refuted and "
                          "outdated claims left out)."),
                  self.table(["Effect", "Type", "Chains"], rows))

    def mechanism_page(self, effect: Record, paths: list[list[Claim]]) -> None:
        root = "../"
        title = f"How {self.name(AGENT)} leads to {effect['name']}"
        if not paths:
            self.page(mechanism_path(effect["id"]), title,
                      el("p", f"No chain of claims leads from {self.name(AGENT)} to ",
                         self.link(root, effect["id"]), "."))
            return
        claims = {claim["id"]: claim for path in paths for claim in path}
        layer = longest_path_layers(AGENT, [step_ends(c) for c in claims.values()])
        nodes = [self.node(root, ident, n) for ident, n in sorted(layer.items())
                 if ident in self.records]
        edges = [self.edge(root, claims[ident]) for ident in sorted(claims)]
        listed = paths[:MAX_LISTED_CHAINS]
        chains = el("ol", *(el("li", self.chain(root, path)) for path in listed),
                    class_="chains")
        shown = f" (the first {len(listed)})" if len(listed) < len(paths) else ""
        self.page(
            mechanism_path(effect["id"]), title,
            el("p", f"{len(paths)} chains of claims lead from ", self.link(root, AGENT), " to ",
               self.link(root, effect["id"]), ". Each box links to its record, each arrow to "
               "its claim; arrows point from subject to object."),
            diagram(nodes, edges, ident="mechanism", title=title,
                    description=f"{len(nodes)} records and {len(edges)} claims on the chains "
                                f"from {self.name(AGENT)} to {effect['name']}, in columns by "
                                "steps from the drug. The chains are listed below as text."),
            el("h2", f"Chains ({len(paths)}){shown}"), chains)

    def chain(self, root: str, path: list[Claim]) -> Markup:
        """Ketamine → predicate → record → …, each predicate linking to its claim."""
        parts: list[Child] = [self.link(root, AGENT)]
        for claim in path:
            reverse = claim["predicate"] in vocab.PREDICATES and \
                step_ends(claim)[0] != claim["subject"]
            arrow = f" ← {_words(claim['predicate'])} ← " if reverse \
                else f" → {_words(claim['predicate'])} → "
            parts += [self.claim_link(root, claim, arrow), self.link(root, step_ends(claim)[1])]
        return raw_join(*parts)

    def conflicts(self) -> None:
        result = self.kb.conflicts()
        root = ""

        def sources(ids: list[str]) -> Markup:
            return raw_join(*_spaced([self.link(root, s) for s in ids], ", "))

        disputed = self.table(["Claim", "Status", "Certainty", "Supports", "Disputes",
                               "Qualifies"], [
            [self.claim_link(root, item["claim"]), self.status(item["claim"]["status"]),
             raw_join(self.certainty(item["claim"]), " ", _certainty_text(item["claim"])),
             sources(item["supports"]), sources(item["disputes"]), sources(item["qualifies"])]
            for item in result["disputed"]])
        def side(claims: list[Claim]) -> Markup:
            return el("ul", *(el("li", self.claim_link(root, c), " ", self.status(c["status"]),
                                 " ", self.certainty(c)) for c in claims), class_="side")

        rows = []
        for item in result["opposing"]:  # one predicate's claims, then the other's
            claims = item["claims"]
            first = [c for c in claims if c["predicate"] == claims[0]["predicate"]]
            rows.append([side(first), side([c for c in claims if c not in first])])
        opposing = self.table(["Claims", "Opposed by"], rows)
        self.page("conflicts.html", "Conflicts: where the sources disagree",
                  el("p", "As `ketakb conflicts` lists them: contested, refuted and outdated "
                          "claims with the sources on each side, and claims with opposite "
                          "predicates on the same records, each side with its status."),
                  el("h2", f"Disputed claims ({len(result['disputed'])})"), disputed,
                  el("h2", f"Opposing claims ({len(result['opposing'])})"), opposing)

    def timeline(self) -> None:
        root = ""
        events: list[_Event] = []
        for record in self.records.values():
            if record["kind"] == "source" and record["type"] == "regulatory-notice" \
                    and (published := record.get("date")):
                events.append(_Event(published, "regulatory notice", record["id"],
                                     raw_join(self.link(root, record["id"]),
                                              f" ({record['publisher']})"
                                              if record.get("publisher") else "")))
        for claim in self.claims:
            date = (claim["context"] or {}).get("date")
            if claim["predicate"] == "approved_for" and date:
                where = (claim["context"] or {}).get("jurisdiction")
                events.append(_Event(date, "approval", claim["id"],
                                     raw_join(self.claim_link(root, claim),
                                              f" ({where})" if where else "")))
        for action in self.kb.timeline():
            events.append(_Event(action["date"], action["action"], action["agent"], raw_join(
                self.link(root, action["agent"]),
                f": {action['product']} ({action['agency']}, {action['jurisdiction']})")))
        events.sort(key=lambda e: (e.date, e.what, e.id))
        self.page("timeline.html", "Regulatory timeline",
                  el("p", "Dated regulatory notices, the agents' regulatory actions, and "
                          "approvals (claims with the approved_for predicate and a date in "
                          "their context), oldest first."),
                  self.table(["Date", "Event", "What"],
                             [[el("time", e.date, datetime=e.date), e.what, e.item]
                              for e in events])
                  if events else el("p", "No dated regulatory record yet."))

    def targets(self) -> None:
        root = ""
        found = [c for c in self.claims if c["predicate"] in vocab.PREDICATES
                 and vocab.PREDICATES[c["predicate"]].group == "drug-target"]
        found.sort(key=lambda c: (c["subject"] != AGENT, self.name(c["subject"]).casefold(),
                                  self.name(c["object"]).casefold(), c["predicate"], c["id"]))
        rows = [[self.link(root, c["subject"]), self.claim_link(root, c, _words(c["predicate"])),
                 self.link(root, c["object"]), self.status(c["status"]), self.certainty(c),
                 raw_join(*_spaced([" ".join(t for t in (_words(f["measure"]), value_text(f),
                                                          f.get("unit")) if t)
                                    for f in c["figures"]], "; "))]
                for c in found]
        self.page("targets.html", "Drug–target table",
                  el("p", f"Every drug–target claim, {self.name(AGENT)}'s first, with the "
                          "figures (such as affinities) the claims carry."),
                  self.table(["Agent", "Action (claim)", "Target", "Status", "Certainty",
                              "Figures"], rows))

    def search(self) -> None:
        entries = [[record_path(r), self.name(r["id"]), KIND_SINGULAR[r["kind"]],
                    " ".join([r["id"], r.get("summary") or "", ", ".join(r.get("authors", []))]),
                    [self.name(r["id"]), *r.get("synonyms", [])]]
                   for r in self.records.values()]
        entries += [[claim_path(c["id"]), c["statement"], "claim", c["id"], []]
                    for c in self.claims]
        self.files["assets/search-index.js"] = (
            "/* generated by ketakb site: [page, title, kind, other text, names] for every "
            "record, source and claim */\nwindow.KETAKB_SEARCH = "
            + json.dumps(entries, ensure_ascii=True)
            + ";\n").encode("utf-8")
        self.page("search.html", "Search",
                  el("p", "Type words in the search box above: records, sources and claims "
                          "that contain every word are listed. A search is a link: ",
                     el("code", "search.html?q=nmda"), "."),
                  el("noscript", el("p", "Search needs JavaScript. Without it, browse ",
                                    el("a", "the kinds of record", href=internal("index.html")),
                                    ".")),
                  el("p", "", id="search-status", role="status", aria_live="polite"),
                  el("ol", id="search-results", class_="results"),
                  scripts=("assets/search-index.js", "assets/search.js"))


def _certainty_text(claim: Claim) -> str:
    """What a claim's certainty level follows from, in words."""
    found = claim["certainty"]
    return (f"(support {found['support']}, dispute {found['dispute']}; "
            f"claim system: {found['system']})")


def _peer_reviewed(source: Record) -> bool:
    """Whether the source is peer-reviewed: by its type, unless it is a preprint."""
    standing = source.get("standing")
    return vocab.peer_reviewed(source["type"], standing["status"] if standing else None)


def _spaced(items: Sequence[Child], between: str = " ") -> list[Child]:
    out: list[Child] = []
    for n, item in enumerate(items):
        if n:
            out.append(between)
        out.append(item)
    return out


def build(kb: KnowledgeBase) -> dict[str, bytes]:
    """Every file of the site: {path relative to the site's folder: content}, sorted."""
    return _Builder(kb).build()


def write_site(files: dict[str, bytes], out: Path) -> None:
    """Write the files as the folder `out`, replacing an earlier build there (its files are
    all removed, so a deleted record leaves no page behind). A folder that is neither empty
    nor a site is left alone: SiteError."""
    if out.exists() and not out.is_dir():
        raise SiteError(f"'{out}' is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise SiteError(f"'{out}' is not empty and holds no site built by ketakb; "
                        "choose an empty or new folder")
    with atomic_folder(out) as staging:
        for relative, content in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
