"""The read side of the KB as a library: look up, search, explain, conflicts, sources, graph.

`KnowledgeBase` wraps the compiled index (`ketakb.pipeline.store.Store`) and answers every
query with plain JSON-ready values in the documented shapes of `ketakb.shapes`: a record is its YAML
fields plus "kind", a claim is `claim_json`. The CLI only renders what these methods return,
so scripts and tests can call them directly:

    from ketakb import open_kb
    with open_kb("kb") as kb:
        for path in kb.explain("rapid-antidepressant-effect")["paths"]:
            print(" → ".join(step["object"] for step in path))

Mechanism chains are found by `ketakb.query.chains`.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import sqlite3
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from ketakb import certainty, units, vocab
from ketakb.pipeline.build import update
from ketakb.pipeline.store import DamagedCache, Store, chunks, load_json, placeholders
from ketakb.query import search
from ketakb.query.chains import (
    DEFAULT_DEPTH,
    Search,
    Step,
    Steps,
    direction,
    find_chains,
)
from ketakb.shapes import (
    Claim,
    Conflicts,
    Disputed,
    Explanation,
    FigureHit,
    Graph,
    GraphEdge,
    GraphNode,
    Opposing,
    Record,
    Regulatory,
    SearchHit,
    Shown,
    ShownClaim,
    Stats,
    StoredClaim,
)

#: Of the copies of a repeated claim id, the one `_claims` keeps: the first by path, then by
#: row (the order `ORDER BY id, path` gives them).
_FIRST_COPY = ("NOT EXISTS (SELECT 1 FROM claims AS other WHERE other.id = claims.id "
               "AND (other.path, other.rowid) < (claims.path, claims.rowid))")

_T = TypeVar("_T")
_P = ParamSpec("_P")
_LOOSE = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Match:
    """A record a query names: its id, kind and display name."""

    id: str
    kind: str
    name: str

    def as_json(self) -> GraphNode:
        return {"id": self.id, "kind": self.kind, "name": self.name}


class NotFound(LookupError):
    """A query names no record (`matches` empty, `suggestions` close ones) or several."""

    def __init__(self, query: str, matches: list[Match], suggestions: list[Match]) -> None:
        self.query = query
        self.matches = matches
        self.suggestions = suggestions
        what = "several records" if matches else "no record"
        super().__init__(f"{what} match '{query}'")


def _loose(text: str) -> str:
    """Case, spaces, hyphens and punctuation ignored: 'NMDA-Receptor' ~ 'nmda receptor'."""
    return _LOOSE.sub("", text.casefold())


def _kind_rank(kind: str) -> int:
    """Where a kind comes in listings (`vocab.KIND_ORDER`)."""
    order = vocab.KIND_ORDER
    return order.index(kind) if kind in order else len(order)


def _overlapping(first: list[Claim], second: list[Claim]
                 ) -> tuple[list[Claim], list[Claim]]:
    """The claims of each side whose context overlaps some claim's on the other side."""
    return ([c for c in first if any(vocab.contexts_overlap(c.get("context"), o.get("context"))
                                     for o in second)],
            [c for c in second if any(vocab.contexts_overlap(c.get("context"), o.get("context"))
                                      for o in first)])


def _opposites(predicate: str) -> tuple[str, ...]:
    """The predicates that contradict `predicate` (none for one outside the vocabulary)."""
    known = vocab.PREDICATES.get(predicate)
    return known.opposites if known else ()


def _decoded(text: str) -> dict[str, Any]:
    """A record's or claim's JSON column: an object with an id, else the cache is damaged.
    (Its other keys are the shape the index wrote, `record_json` or `claim_json`.)"""
    item = load_json(text)
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise DamagedCache("a record or claim in the cache is not an object with an id")
    return item


def _first_by_id(rows: Iterable[tuple[str]]) -> list[dict[str, Any]]:
    """The decoded JSON rows, keeping the first of any repeated id (a duplicate id is a
    validation error; queries still answer, from the file that sorts first)."""
    seen: set[str] = set()
    found = []
    for (text,) in rows:
        item = _decoded(text)
        if item["id"] not in seen:
            seen.add(item["id"])
            found.append(item)
    return found


def _recovering(method: Callable[Concatenate[KnowledgeBase, _P], _T]
                ) -> Callable[Concatenate[KnowledgeBase, _P], _T]:
    """A query that, when the cache file cannot be read back, answers again from a cache
    rebuilt from scratch (as `validate_kb` does) instead of failing or trusting the file."""

    @functools.wraps(method)
    def answer(self: KnowledgeBase, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return method(self, *args, **kwargs)
        except (DamagedCache, sqlite3.DatabaseError):
            if not self.store.persistent:
                raise
            self._rebuild()
            return method(self, *args, **kwargs)

    return answer


def _refreshed(store: Store) -> Store:
    """The index brought up to date for queries, which only read from then on, so other runs
    may use the cache meanwhile (closed if that fails)."""
    try:
        update(store)
    except BaseException:
        store.close()
        raise
    store.unlock()
    return store


class KnowledgeBase:
    """Queries over one KB folder's compiled index. Use as a context manager, or `close()`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._sources: dict[str, Record] | None = None

    @classmethod
    def open(cls, root: str | os.PathLike[str], *, use_cache: bool = True) -> KnowledgeBase:
        """Open the KB's index and bring it up to date (changed files only)."""
        folder = Path(root)
        try:
            return cls(_refreshed(Store.open(folder, use_cache=use_cache)))
        except (DamagedCache, sqlite3.DatabaseError):
            if not use_cache:
                raise
        return cls(_refreshed(Store.open(folder, fresh=True)))

    def _rebuild(self) -> None:
        """Replace a damaged cache by one rebuilt from scratch."""
        root = self.store.root
        self.store.close()
        self.store = _refreshed(Store.open(root, fresh=True))
        self._sources = None

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    # -- records ---------------------------------------------------------------------------

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return list(self.store.rows(sql, params))

    @_recovering
    def record(self, ident: str) -> Record | None:
        """The record with this exact id (YAML fields plus "kind", without claims)."""
        rows = self._rows("SELECT json FROM records WHERE id = ? ORDER BY path LIMIT 1",
                          (ident,))
        return cast(Record, _decoded(rows[0][0])) if rows else None

    @_recovering
    def records(self, kind: str | None = None) -> list[Record]:
        """Every record (or every record of one kind), by kind then id."""
        if kind is None:
            rows = self._rows("SELECT json FROM records ORDER BY id, path")
        else:
            rows = self._rows("SELECT json FROM records WHERE kind = ? ORDER BY id, path",
                              (kind,))
        records = cast(list[Record], _first_by_id(rows))
        return sorted(records, key=lambda r: (_kind_rank(r["kind"]), r["id"]))

    def _matches(self, ids: Iterable[str]) -> list[Match]:
        found: dict[str, Match] = {}
        for ident in ids:
            if ident in found:
                continue
            row = self._rows("SELECT kind, name FROM records WHERE id = ? ORDER BY path LIMIT 1",
                             (ident,))
            if row:
                found[ident] = Match(ident, row[0][0], row[0][1])
        return list(found.values())

    @_recovering
    def resolve(self, query: str) -> list[Match]:
        """Records whose id, name or synonym is `query`, ignoring case (then also ignoring
        spaces, hyphens and punctuation). An exact id wins outright."""
        query = query.strip()
        if self._rows("SELECT 1 FROM records WHERE id = ? LIMIT 1", (query,)):
            return self._matches([query])
        ids = [row[0] for row in self._rows(
            "SELECT DISTINCT id FROM names WHERE key = ? ORDER BY id", (query.casefold(),))]
        if not ids and _loose(query):
            loose = _loose(query)
            ids = sorted({ident for key, ident in self._rows("SELECT key, id FROM names")
                          if _loose(key) == loose})
        return self._matches(ids)

    @_recovering
    def suggest(self, query: str, limit: int = 5) -> list[Match]:
        """Records whose names are close to `query`: for "did you mean …"."""
        keys: dict[str, list[str]] = defaultdict(list)
        for key, ident in self._rows("SELECT key, id FROM names ORDER BY id"):
            keys[key].append(ident)
        folded = query.strip().casefold()
        close = difflib.get_close_matches(folded, list(keys), n=limit * 2, cutoff=0.6)
        if len(folded) >= 3:
            close += sorted(k for k in keys if folded in k and k not in close)
        return self._matches(ident for key in close for ident in keys[key])[:limit]

    @_recovering
    def names(self, ids: Iterable[str]) -> dict[str, str]:
        """Id → display name (the id itself for an id that names no record)."""
        wanted = list(dict.fromkeys(ids))
        found = {m.id: m.name for m in self._matches(wanted)}
        return {ident: found.get(ident, ident) for ident in wanted}

    @_recovering
    def lookup(self, query: str) -> Match:
        """The one record `query` names; raises `NotFound` (with suggestions) otherwise."""
        matches = self.resolve(query)
        if len(matches) == 1:
            return matches[0]
        raise NotFound(query, matches, [] if matches else self.suggest(query))

    # -- claims ----------------------------------------------------------------------------

    def _claims(self, where: str = "", params: tuple[Any, ...] = ()) -> list[Claim]:
        """The claims `where` selects, each with its certainty (`certainty.with_certainty`)."""
        stored = cast(list[StoredClaim], _first_by_id(self._rows(
            f"SELECT json FROM claims {where} ORDER BY id, path", params)))
        sources = self.source_records()
        return [certainty.with_certainty(claim, sources) for claim in stored]

    @_recovering
    def claim(self, ident: str) -> Claim | None:
        found = self._claims("WHERE id = ?", (ident,))
        return found[0] if found else None

    @_recovering
    def involving(self, ident: str) -> list[Claim]:
        """Every claim whose subject or object is the record, wherever it is stored."""
        return self._claims("WHERE subject = ? OR object = ? OR host = ?", (ident,) * 3)

    @_recovering
    def show(self, ident: str) -> Shown | None:
        """The record plus "claims": every claim that involves it."""
        record = self.record(ident)
        if record is None:
            return None
        return {**record, "claims": self.involving(ident)}

    @_recovering
    def show_claim(self, ident: str) -> ShownClaim | None:
        """The claim plus "assessment": how its certainty was reached, unit by unit."""
        claim = self.claim(ident)
        if claim is None:
            return None
        assessment = certainty.of_claim(claim, self.source_records())
        return {**claim, "assessment": certainty.assessment_json(assessment)}

    @_recovering
    def source_records(self) -> dict[str, Record]:
        """Source id → source record: what claims' certainty is computed from, read from the
        index once per `KnowledgeBase`."""
        if self._sources is None:
            self._sources = {r["id"]: r for r in self.records("source")}
        return self._sources

    def peer_reviewed_support(self, claim: Claim) -> bool:
        """Whether a peer-reviewed source (no preprint) supports the claim."""
        return certainty.peer_supported(certainty.items_of(claim, self.source_records()))

    @_recovering
    def claims(self, *, about: str | None = None, source: str | None = None,
               status: str | None = None, predicate: str | None = None,
               peer_reviewed: bool = False, min_certainty: str | None = None) -> list[Claim]:
        """Claims filtered by involved record, cited source, status, predicate, whether a
        peer-reviewed source supports them and their certainty (at least `min_certainty`, a
        level of `certainty.LEVELS`); all filters must hold."""
        clauses: list[str] = []
        params: list[Any] = []
        if about is not None:
            clauses.append("(subject = ? OR object = ? OR host = ?)")
            params += [about] * 3
        if source is not None:
            clauses.append("id IN (SELECT claim FROM evidence WHERE source = ?)")
            params.append(source)
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if predicate is not None:
            clauses.append("predicate = ?")
            params.append(predicate)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        found = self._claims(where, tuple(params))
        if peer_reviewed:
            found = [c for c in found if self.peer_reviewed_support(c)]
        if min_certainty is not None:
            least = certainty.LEVELS.index(min_certainty)
            found = [c for c in found
                     if certainty.LEVELS.index(c["certainty"]["level"]) >= least]
        return found

    # -- search ----------------------------------------------------------------------------

    @_recovering
    def search(self, text: str, limit: int = 20) -> list[SearchHit]:
        """Full-text search over names, synonyms, summaries, statements and quotes, ranked by
        weighted BM25: [{"id", "kind", "name", "score", "matched": [{"field", "text"}]}].

        Every word must occur (stemmed, prefix-matched); when no record has them all, any
        word will do. `matched` gives each field that matched with the hit marked «so»
        (`ketakb.query.search` ranks and cuts the snippets).
        """
        top, matched = search.find(self._rows, text, limit)
        results: list[SearchHit] = []
        for hit in top:
            if hit.kind == "claim":
                claim = self.claim(hit.id)
                name = claim["statement"] if claim else hit.id
            else:
                matches = self._matches([hit.id])
                name = matches[0].name if matches else hit.id
            results.append({"id": hit.id, "kind": hit.kind, "name": name, "score": hit.score,
                            "matched": matched[hit.id]})
        return results

    # -- mechanisms ------------------------------------------------------------------------

    def _all_claims(self, include_withdrawn: bool) -> list[Claim]:
        claims = self._claims()
        if include_withdrawn:
            return claims
        return [c for c in claims if c["status"] not in vocab.WITHDRAWN_STATUSES]

    @_recovering
    def explain(self, target: str, from_: str = "ketamine", *, include_withdrawn: bool = False,
                max_depth: int = DEFAULT_DEPTH,
                through: Iterable[str] = ()) -> Explanation:
        """The chains of claims from `from_` to `target` (ids): {"target", "from", "paths",
        "chains", "truncated"}; `chains[i]` is the net direction of `paths[i]`
        (`ketakb.query.chains.direction`).

        A path is a list of claims, each a step (see `step_ends` for the direction of
        chemical predicates); no record appears twice in a path, a path has at most
        `max_depth` steps and passes through every record in `through`, and paths are
        sorted by length, then by their claim ids. Refuted and outdated claims are left out
        unless `include_withdrawn`. At most MAX_PATHS paths, the first in that order; when
        there are more, or the search stopped after MAX_WORK steps, "truncated" is true.
        """
        steps = self._steps_between(from_, target, max_depth, include_withdrawn)
        chains, truncated = find_chains(steps, from_, target, max_depth, through)
        claims = self._claims_by_id({s.id for c in chains for s in c})
        paths = [[claims[s.id] for s in c] for c in chains]
        return {"target": target, "from": from_, "paths": paths,
                "chains": [direction(path) for path in paths], "truncated": truncated}

    def _claims_by_id(self, ids: Iterable[str]) -> dict[str, Claim]:
        """Id → claim, decoded only for these ids (the copy of a repeated id `_claims` keeps)."""
        found: dict[str, Claim] = {}
        for chunk in chunks(sorted(ids)):
            found.update((c["id"], c) for c in self._claims(f"WHERE id IN ({placeholders(chunk)})",
                                                            tuple(chunk)))
        return found

    def _steps_between(self, start: str, goal: str, max_depth: int,
                       include_withdrawn: bool) -> Steps:
        """Every step of every chain of at most `max_depth` steps from `start` to `goal`
        (and some others), without reading the whole KB.

        Two breadth-first searches, forwards from `start` and backwards from `goal`, read
        the claims of the records they reach, widening the smaller frontier (the target's on
        a tie: agents are the hubs), until their depths add up to `max_depth` or one search
        runs out. Each step of such a chain then touches a record one of them has read.
        """
        steps = Steps()
        read: set[str] = set()
        ahead, behind = Search(start, forwards=True), Search(goal, forwards=False)
        for _ in range(max_depth):
            if not (ahead.frontier and behind.frontier):
                break
            search = ahead if len(ahead.frontier) < len(behind.frontier) else behind
            unread = [r for r in search.frontier if r not in read]
            read.update(unread)
            steps.add(self._steps_touching(unread, include_withdrawn))
            search.widen(steps)
        steps.sort()
        return steps

    def _steps_touching(self, records: list[str], include_withdrawn: bool) -> list[Step]:
        """The claims whose subject or object is one of `records`, as steps: the copy of a
        repeated id that `_claims` keeps, and no refuted or outdated claim unless
        `include_withdrawn` (as `_all_claims`), through the subject and object indexes."""
        withdrawn = () if include_withdrawn else tuple(sorted(vocab.WITHDRAWN_STATUSES))
        status = f"AND status NOT IN ({placeholders(withdrawn)}) " if withdrawn else ""
        found = []
        for chunk in chunks(records):
            marks = placeholders(chunk)
            found += [Step.of(*row) for row in self._rows(
                f"SELECT id, subject, predicate, object FROM claims "
                f"WHERE (subject IN ({marks}) OR object IN ({marks})) {status}AND {_FIRST_COPY}",
                (*chunk, *chunk, *withdrawn))]
        return found

    @_recovering
    def conflicts(self) -> Conflicts:
        """Where sources disagree.

        {"disputed": [{"claim", "supports", "disputes", "qualifies"}] for every contested,
        refuted or outdated claim (source ids on each side), "opposing": [{"claims"}] for
        every two opposite predicates stated on the same subject and object in overlapping
        contexts (`vocab.contexts_overlap`: a rat study does not oppose a human one): the
        claims with one predicate, then those with the other, each side by id, the side with
        the first id first (usually a pair). One entry for a side of many claims, not one for
        each pair of them, keeps the answer as long as the claims.
        """
        claims = self._claims()
        disputed: list[Disputed] = []
        for claim in claims:
            if claim["status"] not in vocab.CONFLICT_TOLERANT_STATUSES:
                continue
            sides: dict[str, list[str]] = {"supports": [], "disputes": [], "qualifies": []}
            for evidence in claim["evidence"]:
                if evidence["source"] not in sides[evidence["stance"]]:
                    sides[evidence["stance"]].append(evidence["source"])
            disputed.append({"claim": claim, "supports": sides["supports"],
                             "disputes": sides["disputes"], "qualifies": sides["qualifies"]})
        by_pair: dict[tuple[str, str], dict[str, list[Claim]]] = defaultdict(dict)
        for claim in claims:
            by_pair[(claim["subject"], claim["object"])].setdefault(claim["predicate"],
                                                                   []).append(claim)
        opposing: list[Opposing] = []
        for pair in sorted(by_pair):
            stated = by_pair[pair]
            clashes = {tuple(sorted((predicate, other))) for predicate in stated
                       for other in _opposites(predicate) if other in stated}
            overlapping = [pair_sides for a, b in clashes
                           if all(pair_sides := _overlapping(stated[a], stated[b]))]
            found = sorted((sorted(pair_sides, key=lambda side: side[0]["id"])
                            for pair_sides in overlapping),
                           key=lambda sides: (sides[0][0]["id"], sides[1][0]["id"]))
            opposing += [{"claims": [*first, *second]} for first, second in found]
        return {"disputed": disputed, "opposing": opposing}

    # -- sources ---------------------------------------------------------------------------

    @_recovering
    def sources(self, ident: str | None = None) -> list[Record]:
        """Every source; or the source `ident`; or the sources the claims involving the
        record `ident` cite (as evidence or for a figure). Sorted by id."""
        if ident is None:
            return self.records("source")
        record = self.record(ident)
        if record is None:
            return []
        if record["kind"] == "source":
            return [record]
        cited: set[str] = set()
        for claim in self.involving(ident):
            cited.update(e["source"] for e in claim["evidence"])
            cited.update(f["source"] for f in claim["figures"])
        return [s for s in (self.record(i) for i in sorted(cited))
                if s is not None and s["kind"] == "source"]

    @_recovering
    def cited_by(self, source: str) -> list[str]:
        """Ids of the claims citing a source as evidence."""
        return [row[0] for row in self._rows(
            "SELECT DISTINCT claim FROM evidence WHERE source = ? ORDER BY claim", (source,))]

    # -- graph -----------------------------------------------------------------------------

    @_recovering
    def graph(self, focus: str | None = None, depth: int | None = None, *,
              to: str | None = None, from_: str = "ketamine", through: Iterable[str] = (),
              include_withdrawn: bool = True) -> Graph:
        """The claim graph between records: {"nodes": [{"id", "kind", "name"}], "edges":
        [{"id", "subject", "predicate", "object", "status"}], "truncated"}.

        With `focus`, only records within `depth` claims of it, either direction (default
        2); with `to`, only the claims on the mechanism chains of at most `depth` steps
        (default 6) from `from_` to `to` through every record of `through`, as `explain`
        finds them ("truncated" as `explain`'s; otherwise always false). Refuted and outdated
        claims are edges too unless `include_withdrawn` is false.
        """
        truncated = False
        if to is not None:
            chains = self.explain(to, from_, include_withdrawn=include_withdrawn,
                                  max_depth=depth or DEFAULT_DEPTH, through=through)
            on_paths = {c["id"]: c for path in chains["paths"] for c in path}
            claims = sorted(on_paths.values(), key=lambda c: c["id"])
            truncated = chains["truncated"]
        else:
            claims = self._all_claims(include_withdrawn)
            claims = [c for c in claims if c["subject"] != c["object"]]
            if focus is not None:
                near = self._near(claims, focus, 2 if depth is None else depth)
                claims = [c for c in claims if c["subject"] in near and c["object"] in near]
        ids = {end for c in claims for end in (c["subject"], c["object"])}
        if focus is not None and not claims:
            ids.add(focus)
        nodes = sorted((m.as_json() for m in self._matches(sorted(ids))),
                       key=lambda n: (_kind_rank(n["kind"]), n["id"]))
        known = {n["id"] for n in nodes}
        edges: list[GraphEdge] = [
            {"id": c["id"], "subject": c["subject"], "predicate": c["predicate"],
             "object": c["object"], "status": c["status"]}
            for c in claims if c["subject"] in known and c["object"] in known]
        return {"nodes": nodes, "edges": edges, "truncated": truncated}

    @staticmethod
    def _near(claims: list[Claim], focus: str, depth: int) -> set[str]:
        neighbours: dict[str, set[str]] = defaultdict(set)
        for claim in claims:
            neighbours[claim["subject"]].add(claim["object"])
            neighbours[claim["object"]].add(claim["subject"])
        near = {focus}
        queue = deque([(focus, 0)])
        while queue:
            node, distance = queue.popleft()
            if distance >= depth:
                continue
            for other in sorted(neighbours[node] - near):
                near.add(other)
                queue.append((other, distance + 1))
        return near

    # -- figures ---------------------------------------------------------------------------

    @_recovering
    def figures(self, about: str | None = None, *, measure: str | None = None,
                target: str | None = None, route: str | None = None) -> list[FigureHit]:
        """The figures of the claims involving `about` and `target` (each, when given, the
        claim's subject or object), of one measure or group of measures (`ketakb.units`),
        given by one route (`vocab.ROUTES`):
        [{"claim", "status", "subject", "predicate", "object", "figure"}], the figure in its
        JSON shape (with "normalised" and "p_scale"). Binding figures come first, the most
        potent first (highest p-value), then the others by measure and claim."""
        clauses = [_FIRST_COPY]
        params: list[Any] = []
        for record in (about, target):
            if record is not None:
                clauses.append("(claims.subject = ? OR claims.object = ?)")
                params += [record, record]
        if measure is not None:
            chosen = units.measures_named(measure)
            clauses.append(f"figures.measure IN ({placeholders(chosen)})")
            params += chosen
        rows = self._rows(
            "SELECT claims.json, figures.pos FROM figures JOIN claims ON claims.path = "
            "figures.path AND claims.pos = figures.claim_pos WHERE " + " AND ".join(clauses)
            + " ORDER BY figures.potency IS NULL, figures.potency DESC, figures.measure, "
            "claims.id, figures.pos", tuple(params))
        found: list[FigureHit] = []
        for text, position in rows:
            claim = cast(Claim, _decoded(text))
            if route is not None and claim["figures"][position].get("route") != route:
                continue
            found.append({"claim": claim["id"], "status": claim["status"],
                          "subject": claim["subject"], "predicate": claim["predicate"],
                          "object": claim["object"], "figure": claim["figures"][position]})
        return found

    # -- statistics ------------------------------------------------------------------------

    @_recovering
    def stats(self, sources_dir: Path | None = None) -> Stats:
        """Counts: {"records": {kind: n}, "claims": {"total", "by_status", "peer_reviewed",
        "peer_reviewed_share", "by_certainty"}, "sources": {type: n}, "quotes": {"total",
        "archived", "verified", "not_found"}}. Quotes are verified against the archived source texts
        only when `sources_dir` is given; otherwise "verified" and "not_found" are null."""
        records = self.records()
        by_kind = {kind: sum(r["kind"] == kind for r in records) for kind in vocab.KIND_ORDER}
        claims = self._claims()
        by_status = {status: sum(c["status"] == status for c in claims)
                     for status in vocab.STATUSES}
        peer = sum(self.peer_reviewed_support(c) for c in claims)
        by_certainty = {level: sum(c["certainty"]["level"] == level for c in claims)
                        for level in certainty.LEVELS}
        sources = [r for r in records if r["kind"] == "source"]
        by_type = {t: sum(s["type"] == t for s in sources) for t in vocab.SOURCE_TYPES}
        archives = {s["id"]: archive for s in sources if (archive := s.get("archive"))}
        quotes = [(e["source"], quote) for c in claims for e in c["evidence"]
                  if (quote := e["quote"])]
        archived = [(s, q) for s, q in quotes if s in archives]
        verified: int | None = None
        if sources_dir is not None:
            from ketakb.pipeline.quotes import normalise, quote_in, read_snapshot

            texts = {source: read_snapshot(str(sources_dir / archive))
                     for source, archive in archives.items()}
            verified = sum(1 for s, q in archived
                           if (text := texts[s]) is not None and quote_in(normalise(q), text))
        return {
            "records": by_kind,
            "claims": {"total": len(claims), "by_status": by_status, "peer_reviewed": peer,
                       "peer_reviewed_share": round(peer / len(claims), 3) if claims else 0.0,
                       "by_certainty": by_certainty},
            "sources": by_type,
            "quotes": {"total": len(quotes), "archived": len(archived), "verified": verified,
                       "not_found": None if verified is None else len(archived) - verified},
        }

    # -- regulatory timeline ---------------------------------------------------------------

    @_recovering
    def timeline(self, agent: str | None = None, *, jurisdiction: str | None = None,
                 agency: str | None = None) -> list[Regulatory]:
        """The agents' regulatory actions in date order (ties: agency, product), each in the
        shape of `ketakb.shapes.regulatory_json`: only the agent `agent`'s, and only those of
        `jurisdiction` and `agency` (ignoring case), when given. Dates of different
        precision sort by their text: a year before any day of it."""
        clauses = ["path = (SELECT min(path) FROM records WHERE id = r.agent)"]
        params: list[Any] = []
        for column, value in (("agent", agent), ("jurisdiction", jurisdiction),
                              ("agency", agency)):
            if value is not None:
                clauses.append(f"{column} = ? COLLATE NOCASE" if column != "agent"
                               else "agent = ?")
                params.append(value)
        rows = self._rows(f"""SELECT json FROM regulatory r WHERE {' AND '.join(clauses)}
                              ORDER BY date, agency, product, agent, pos""", tuple(params))
        return [cast(Regulatory, load_json(text)) for (text,) in rows]
