"""Checks across records: ids, references, hosts, statuses, duplicates, conflicts, quotes
(of evidence and of regulatory actions).

They run as SQL over the compiled index (`store.py`), whose tables hold the values the models
accepted: on a re-validation they rerun over cached rows without parsing or decoding a single
record, and the joins run in SQLite rather than in Python loops. Each finding carries a `loc`;
its line and column are filled in afterwards by `validation.place_findings`.

"The record with an id" is the one whose file sorts first; KB031 flags the later ones, whose
kind must not re-judge references. Records that failed their own checks (`broken`) count as
resolved, with the kind of their folder, so one bad file does not cascade into findings
elsewhere.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Mapping
from contextlib import closing
from itertools import repeat
from pathlib import Path

from ketakb import certainty, vocab
from ketakb.findings import Finding, Loc
from ketakb.pipeline.build import Indexed
from ketakb.pipeline.loader import display_path
from ketakb.pipeline.quotes import quote_in, read_snapshots
from ketakb.pipeline.scope import CrossScope
from ketakb.pipeline.store import placeholders

Display = Callable[[str], str]
#: The SQL condition that a path column is in the scope of this run (see `check_all`).
Scope = Callable[[str], str]
_Check = Callable[[sqlite3.Connection, Display, Scope], list[Finding]]


def _everywhere(column: str) -> str:
    return "1"


def _in_scope(column: str) -> str:
    return f"{column} IN temp.cross_scope"


# lookup tables keyed without rowids: a probe is one b-tree search, not two
_SETUP = """
CREATE TEMP TABLE ids (id TEXT PRIMARY KEY, kind TEXT NOT NULL, type TEXT, archive TEXT,
                       design TEXT, species TEXT, study TEXT, standing TEXT) WITHOUT ROWID;
INSERT OR IGNORE INTO ids
    SELECT id, kind, type, archive, design, species, study, standing FROM records ORDER BY path;
CREATE TEMP TABLE allowed (predicate TEXT, role TEXT, kind TEXT,
                           PRIMARY KEY (predicate, role, kind)) WITHOUT ROWID;
CREATE TEMP TABLE opposite (predicate TEXT, other TEXT, PRIMARY KEY (predicate, other))
    WITHOUT ROWID;
"""
_TEARDOWN = "DROP TABLE temp.ids; DROP TABLE temp.allowed; DROP TABLE temp.opposite;"


def _finding(file: str, loc: Loc, code: str, message: str, hint: str = "") -> Finding:
    return Finding(file, 0, 0, code, message, hint, loc)


def check_all(indexed: Indexed, cross: CrossScope,
              sources_dir: Path | None = None) -> list[Finding]:
    """The cross-record findings of the KB in the refreshed index, in no particular order.
    Quotes are checked against the archived snapshots in `sources_dir`, if given.

    Only the findings of the files that the changes since the last validation can affect are
    computed (`CrossScope.decide`); the index keeps the others (`CrossScope.kept`). A
    first or full run computes all of them; SQLite works without the GIL, so with a cache file
    half of the queries then run on a second connection in another thread, and snapshots not
    yet in the index are normalised in a thread while the queries run.
    """
    from concurrent.futures import ThreadPoolExecutor

    store = indexed.store

    archived: list[tuple[str, str, str]] = []
    files: list[str] = []
    if sources_dir is not None:
        archived = store.db.execute("SELECT path, id, archive FROM records WHERE kind = "
                                    "'source' AND archive IS NOT NULL ORDER BY path").fetchall()
        files = [os.path.abspath(sources_dir / archive) for _, _, archive in archived]
    texts, stale, changed = store.cached_snapshots(files)
    broken = store.broken()
    # what the kept findings' texts and scope depend on: KB039 names the folder as given
    settings = json.dumps([sources_dir and [str(sources_dir), os.path.abspath(sources_dir)],
                           display_path(store.root), not broken])
    changed_sources = set(changed)
    scoped = cross.decide(settings, [ident for (_, ident, _), file in
                                     zip(archived, files, strict=True)
                                     if file in changed_sources])
    with ThreadPoolExecutor(max_workers=2) as pool:
        fresh = pool.submit(read_snapshots, stale)

        def quotes(db: sqlite3.Connection, display: Display, scope: Scope) -> list[Finding]:
            texts.update(store.store_snapshots(fresh.result()))  # the index's own connection
            return _quotes(db, display, scope, sources_dir, [
                (path, ident, archive, file)
                for (path, ident, archive), file in zip(archived, files, strict=True)], texts)

        checks: list[_Check] = [_statuses, _duplicates_and_opposites, _unique_ids,
                                _one_document_once, _claims,
                                _sources, _regulatory, _successors, quotes]
        if not broken:
            checks.append(_unused)
        reader = None if scoped else store.reader()
        if reader is None:  # an in-memory index has one connection; a scoped run needs one
            return _run(store.db, indexed.display, _in_scope if scoped else _everywhere, broken,
                        checks)
        with closing(reader):
            aside = pool.submit(_run, reader, indexed.display, _everywhere, broken, checks[:2])
            return _run(store.db, indexed.display, _everywhere, broken, checks[2:]) + \
                aside.result()


def _run(db: sqlite3.Connection, display: Display, scope: Scope, broken: dict[str, str],
         checks: list[_Check]) -> list[Finding]:
    """Run `checks` on one connection, with the lookup tables they share."""
    db.executescript(_SETUP)
    db.create_function("overlap", 2, _overlap, deterministic=True)
    try:
        db.executemany("INSERT OR IGNORE INTO ids (id, kind) VALUES (?, ?)", broken.items())
        db.executemany("INSERT INTO allowed VALUES (?, ?, ?)", [
            (p.name, role, kind) for p in vocab.PREDICATES.values()
            for role, kinds in (("subject", p.subjects), ("object", p.objects))
            for kind in kinds])
        db.executemany("INSERT INTO opposite VALUES (?, ?)", [
            (p.name, other) for p in vocab.PREDICATES.values() for other in p.opposites])
        return [finding for check in checks for finding in check(db, display, scope)]
    finally:
        db.executescript(_TEARDOWN)


#: The ids used more than once: scanning the id indexes once, for the whole KB ...
_REPEATED = """
    SELECT id FROM records GROUP BY id HAVING count(*) > 1
    UNION SELECT id FROM claims GROUP BY id HAVING count(*) > 1
    UNION SELECT id FROM claims c WHERE EXISTS (SELECT 1 FROM records WHERE id = c.id)"""
#: ... or probing them for the ids of the rows in scope only (a scan costs 0.09 s at 100,000
#: records; probing every id instead, 0.32 s)
_REPEATED_IN_SCOPE = """
    SELECT id FROM (SELECT id FROM records WHERE path IN temp.cross_scope
                    UNION SELECT id FROM claims WHERE path IN temp.cross_scope) c
    WHERE (SELECT count(*) FROM (SELECT 1 FROM records WHERE id = c.id
                                 UNION ALL SELECT 1 FROM claims WHERE id = c.id LIMIT 2)) > 1"""


def _unique_ids(db: sqlite3.Connection, display: Display, scope: Scope) -> list[Finding]:
    """KB031: record ids and claim ids share one namespace. (The models admit lower-case ids
    only, so comparing them exactly is comparing them case-insensitively.)"""
    rows = db.execute(f"""
        WITH repeated (id) AS ({_REPEATED if scope is _everywhere else _REPEATED_IN_SCOPE})
        SELECT id, path, pos, first FROM (
            SELECT id, path, pos, first_value(path) OVER w AS first, row_number() OVER w AS n
            FROM (SELECT id, path, -1 AS pos FROM records WHERE id IN repeated
                  UNION ALL SELECT id, path, pos FROM claims WHERE id IN repeated)
            WINDOW w AS (PARTITION BY id ORDER BY path, pos))
        WHERE n > 1 AND {scope('path')}""")
    return [_finding(display(path), ("id",) if pos < 0 else ("claims", pos, "id"), "KB031",
                     f"id '{ident}' is already used in {display(first)}",
                     "ids are unique across the whole KB, claim ids included")
            for ident, path, pos, first in rows]


def _one_document_once(db: sqlite3.Connection, display: Display, scope: Scope
                       ) -> list[Finding]:
    """KB053: two sources with one DOI, PMID or PMCID are one document recorded twice, and
    the certainty rule would count it as two independent lines of evidence. Reported on each
    source after the first (by path), naming the first."""
    rows = db.execute(f"""
        SELECT key, path, first, first_path FROM (
            SELECT key, path, first_value(id) OVER w AS first,
                   first_value(path) OVER w AS first_path, row_number() OVER w AS n
            FROM identifiers
            WHERE key IN (SELECT key FROM identifiers GROUP BY key HAVING count(*) > 1)
            WINDOW w AS (PARTITION BY key ORDER BY path))
        WHERE n > 1 AND {scope('path')}""")
    findings = []
    for key, path, first, first_path in rows:
        scheme, _, value = key.partition(":")
        findings.append(_finding(
            display(path), (scheme,), "KB053",
            f"{scheme} '{value}' is also the {scheme} of '{first}' ({display(first_path)})",
            f"cite '{first}' instead and delete this source, or correct the identifier; "
            "reports of one study with their own identifiers share a `study` instead"))
    return findings


def _reference(file: str, loc: Loc, ref: str, kind: str | None, allowed: tuple[str, ...],
               role: str) -> Finding:
    """KB032 for a reference to nothing, KB033 for one to a record of the wrong kind."""
    if kind is None:
        return _finding(file, loc, "KB032", f"{role} '{ref}' is not a record in the KB",
                        "check the spelling, or add the record")
    article = "an" if kind[0] in "aeiou" else "a"  # "an agent", "an effect"
    return _finding(file, loc, "KB033",
                    f"{role} '{ref}' is {article} {kind}; expected " + " or ".join(allowed))


def _claims(db: sqlite3.Connection, display: Display, scope: Scope) -> list[Finding]:
    """Each claim's subject and object name records of kinds its predicate allows (KB032,
    KB033), and the claim lives in the record of one of them (KB034): one pass."""
    findings = []
    for (path, pos, ident, host, predicate, subject, subject_kind, subject_ok, obj,
         object_kind, object_ok) in db.execute(f"""
            SELECT * FROM (
                SELECT c.path, c.pos, c.id, c.host, c.predicate,
                       c.subject, s.kind, EXISTS (SELECT 1 FROM allowed WHERE role = 'subject'
                           AND predicate = c.predicate AND kind = s.kind) AS subject_ok,
                       c.object, o.kind, EXISTS (SELECT 1 FROM allowed WHERE role = 'object'
                           AND predicate = c.predicate AND kind = o.kind) AS object_ok
                FROM claims c LEFT JOIN ids s ON s.id = c.subject
                              LEFT JOIN ids o ON o.id = c.object
                WHERE {scope('c.path')})
            WHERE NOT subject_ok OR NOT object_ok OR host NOT IN (subject, object)"""):
        file = display(path)
        spec = vocab.PREDICATES[predicate]
        if not subject_ok:
            findings.append(_reference(file, ("claims", pos, "subject"), subject, subject_kind,
                                       spec.subjects, f"subject of {predicate}"))
        if not object_ok:
            findings.append(_reference(file, ("claims", pos, "object"), obj, object_kind,
                                       spec.objects, f"object of {predicate}"))
        if host not in (subject, obj):
            findings.append(_finding(file, ("claims", pos, "id"), "KB034",
                                     f"claim '{ident}' involves neither '{host}' "
                                     "as subject nor as object",
                                     f"move it to the record of '{subject}' or '{obj}'"))
    return findings


def _sources(db: sqlite3.Connection, display: Display, scope: Scope) -> list[Finding]:
    """Evidence and figures cite records of kind source (KB032, KB033)."""
    findings = []
    for table, role in (("evidence", "evidence source"), ("figures", "figure source")):
        for path, claim_pos, pos, ref, kind in db.execute(f"""
                SELECT t.path, t.claim_pos, t.pos, t.source, i.kind
                FROM {table} t LEFT JOIN ids i ON i.id = t.source
                WHERE i.kind IS NOT 'source' AND {scope('t.path')}"""):
            findings.append(_reference(display(path), ("claims", claim_pos, table, pos, "source"),
                                       ref, kind, ("source",), role))
    return findings


def _regulatory(db: sqlite3.Connection, display: Display, scope: Scope) -> list[Finding]:
    """An agent's regulatory actions cite a source and name a condition as the indication
    (KB032, KB033), as evidence and figures do."""
    findings = []
    for path, pos, source, source_kind, indication, indication_kind in db.execute(f"""
            SELECT r.path, r.pos, r.source, s.kind, r.indication, c.kind
            FROM regulatory r LEFT JOIN ids s ON s.id = r.source
                              LEFT JOIN ids c ON c.id = r.indication
            WHERE (s.kind IS NOT 'source'
                   OR (r.indication IS NOT NULL AND c.kind IS NOT 'condition'))
                  AND {scope('r.path')}"""):
        file = display(path)
        if source_kind != "source":
            findings.append(_reference(file, ("regulatory", pos, "source"), source,
                                       source_kind, ("source",), "regulatory action source"))
        if indication is not None and indication_kind != "condition":
            findings.append(_reference(file, ("regulatory", pos, "indication"), indication,
                                       indication_kind, ("condition",), "indication"))
    return findings


#: Why a claim's evidence does not justify its status: code → (message with `{status}` and
#: `{why}` filled in, hint). KB035 keeps the kinds of source each status needs; the others
#: are the rules on top of them that weigh the evidence (`ketakb.certainty`).
_STATUS_PROBLEMS: dict[str, tuple[str, str]] = {
    "KB035/peer": ("'{status}' needs supporting evidence from a peer-reviewed source",
                   "add a journal article, review or trial that supports it (for "
                   "approved_for and contraindicated_in, the regulator's label or decision "
                   "counts too), or lower the status to 'unsupported' or 'hypothesis'"),
    "KB035/authority": ("'{status}' needs disputing evidence from a peer-reviewed or "
                        "regulatory source",
                        "add the source that contradicts the claim with stance: disputes"),
    "KB035/both": ("'contested' needs peer-reviewed evidence on both sides",
                   "add the peer-reviewed source that supports the claim, or mark it 'refuted'"),
    "KB035/too-strong": ("'unsupported' claims have no peer-reviewed support, but this one has",
                         "raise the status to 'supported' or 'established'"),
    "KB035/none": ("'{status}' claims need at least one source that asserts them", ""),
    "KB041": ("'established' needs two independent peer-reviewed supporting units; "
              "this claim has {why}",
              "add an independent study (sources of one `study` count once), "
              "or lower the status to 'supported'"),
    "KB042": ("'{status}' needs peer-reviewed support direct for the claim's system ({why})",
              "a human claim resting on animal or in-vitro work is at most 'hypothesis'; "
              "add direct evidence, narrow the claim's context, or lower the status"),
    "KB044": ("'refuted' needs disputing evidence stronger than the support "
              "(support {why})", "add stronger disputing evidence, or mark it 'contested'"),
    "KB045": ("'contested' needs direct peer-reviewed evidence on both sides (system: {why})",
              "add direct evidence for the side that lacks it, or choose another status"),
    "KB048": ("'{status}' rests on retracted or withdrawn sources alone",
              "cite a source that stands, or mark the claim 'refuted' or 'outdated'"),
}


def status_problem(status: str, items: tuple[certainty.Item, ...],
                   assessment: certainty.Assessment, *, regulatory: bool = False
                   ) -> tuple[str, str] | None:
    """The first rule a claim's status breaks, given its evidence: (code key, `why`). For a
    `regulatory` claim (`vocab.REGULATORY_PREDICATES`) a regulator's document counts as
    peer-reviewed."""
    def backed(evidence: certainty.Item | certainty.Unit) -> bool:
        return evidence.authoritative if regulatory else evidence.peer_reviewed

    supports = [i for i in items if i.stance == "supports"]
    disputes = [i for i in items if i.stance == "disputes"]
    peer_support = any(backed(i) for i in supports)
    if status in vocab.NEEDS_PEER_SUPPORT and not peer_support:
        return "KB035/peer", ""
    if status in vocab.NEEDS_AUTHORITY_DISPUTE and not any(i.authoritative for i in disputes):
        return "KB035/authority", ""
    if status == "contested" and not peer_support:
        return "KB035/both", ""
    if status == "unsupported" and peer_support:
        return "KB035/too-strong", ""
    if status in ("unsupported", "hypothesis") and not supports:
        return "KB035/none", ""
    if status not in vocab.WITHDRAWN_STATUSES and assessment.void_only:
        return "KB048", ""
    peer_units = [u for u in assessment.side("supports") if backed(u)]
    if status in vocab.NEEDS_PEER_SUPPORT and not any(u.direct for u in peer_units):
        return "KB042", assessment.system
    if status == "established" and len(peer_units) < 2:
        return "KB041", f"{len(peer_units)}"
    if status == "refuted" and assessment.dispute <= assessment.support:
        return "KB044", (f"{certainty.LEVELS[assessment.support]}, dispute "
                         f"{certainty.LEVELS[assessment.dispute]}")
    if status == "contested" and not all(
            any(backed(u) and u.direct for u in assessment.side(side))
            for side in ("supports", "disputes")):
        return "KB045", assessment.system
    return None


#: One evidence item as SQL describes it for `_judge`: stance, its own design, its source's
#: design, species, standing and source type.
_ITEM = """e.stance || '|' || coalesce(e.design, '') || '|' || i.design || '|'
    || coalesce(e.species, i.species, '') || '|' || coalesce(i.standing, '') || '|' || i.type"""


def _judge(status: str, system: str, described: str, units: str | None, regulatory: int
           ) -> tuple[str, str] | None:
    """`status_problem` of a claim whose evidence `_statuses` describes in one string (items
    joined by `;`), with the items' units (`;`-joined) when two of them share one. Only what
    the rule reads is in it, so claims alike in all of that share one judgement."""
    items = []
    for n, (part, unit) in enumerate(zip(described.split(";"),
                                         units.split(";") if units else repeat(None),
                                         strict=False)):
        stance, design, source_design, species, standing, source_type = part.split("|")
        items.append(certainty.item(unit or str(n), stance, design or None, None, source_type,
                                    source_design, species.split(",") if species else None,
                                    standing or None, None))
    found = tuple(items)
    return status_problem(status, found, certainty.assess_system(system, found),
                          regulatory=bool(regulatory))


def _statuses(db: sqlite3.Connection, display: Display, scope: Scope) -> list[Finding]:
    """Each status needs certain evidence (KB035, KB041, KB042, KB044, KB045, KB048), and
    citing a retracted or withdrawn source is a warning (KB052). A claim citing anything but a
    typed source is not judged: that is reported elsewhere, and judging would only add noise.

    SQL describes each claim's evidence in one string of what the rule reads, in one pass over
    the evidence; claims described alike are judged once (a KB of 10,000 records has a few
    hundred descriptions for 16,000 claims), which keeps the rule in Python, in
    `ketakb.certainty`, at the cost of a lookup."""
    findings = []
    judged: dict[tuple[str, str, str, str | None, int], tuple[str, str] | None] = {}
    regulatory = sorted(vocab.REGULATORY_PREDICATES)
    for path, claim_pos, status, system, described, units, by_regulator in db.execute(f"""
            SELECT e.path, e.claim_pos, e.status, e.system, group_concat({_ITEM}, ';'),
                   CASE WHEN count(DISTINCT coalesce(i.study, e.source)) < count(*)
                        THEN group_concat(coalesce(i.study, e.source), ';') END,
                   max(e.predicate IN ({placeholders(regulatory)}))
            FROM evidence e LEFT JOIN ids i ON i.id = e.source
            WHERE {scope('e.path')}
            GROUP BY e.path, e.claim_pos
            HAVING min(i.kind IS 'source' AND i.design IS NOT NULL)""", regulatory):
        key = (status, system, described, units, by_regulator)
        if key not in judged:
            judged[key] = _judge(*key)
        problem = judged[key]
        if problem is not None:
            code, why = problem
            message, hint = _STATUS_PROBLEMS[code]
            findings.append(_finding(display(path), ("claims", claim_pos, "status"), code[:5],
                                     message.format(status=status, why=why), hint))
    void = sorted(vocab.VOID_STANDINGS)
    findings += [_finding(display(path), ("claims", claim_pos, "evidence", pos, "source"),
                          "KB052", f"'{source}' is {standing}",
                          "cite a source that stands, or keep it only to record what it "
                          "claimed")
                 for path, claim_pos, pos, source, standing in db.execute(f"""
                    SELECT e.path, e.claim_pos, e.pos, e.source, i.standing
                    FROM evidence e JOIN ids i ON i.id = e.source
                    WHERE i.standing IN ({placeholders(void)}) AND {scope('e.path')}""",
                    void)]
    return findings


def _successors(db: sqlite3.Connection, display: Display, scope: Scope) -> list[Finding]:
    """KB043 a hypothesis or unsupported claim without a recorded search; KB046 an outdated
    claim without a successor; a successor or superseded claim that names no claim (KB032,
    KB033) or does not name this one back (KB047); a superseded source's `by` that names no
    source (KB032, KB033)."""
    findings = []
    for path, pos, status in db.execute(f"""
            SELECT path, pos, status FROM claims WHERE {scope('path')} AND (
                (status IN ('unsupported', 'hypothesis') AND searches = 0)
                OR (status = 'outdated' AND successor IS NULL))"""):
        if status == "outdated":
            findings.append(_finding(display(path), ("claims", pos, "status"), "KB046",
                                     "an 'outdated' claim names the claim that replaces it",
                                     "add `successor: <claim id>`, and `supersedes` there"))
        else:
            findings.append(_finding(display(path), ("claims", pos, "status"), "KB043",
                                     f"'{status}' needs a recorded literature search",
                                     "add `searches: [{date, database, query, found}]`: "
                                     "when and where you looked, and what you found"))
    for field, back in (("successor", "supersedes"), ("supersedes", "successor")):
        for path, pos, ident, ref, is_claim, named_back, kind in db.execute(f"""
                SELECT path, pos, id, {field}, EXISTS (SELECT 1 FROM claims WHERE id = c.{field}),
                       (SELECT {back} FROM claims WHERE id = c.{field} ORDER BY path, pos
                        LIMIT 1),
                       (SELECT kind FROM ids WHERE id = c.{field})
                FROM claims c WHERE {field} IS NOT NULL AND {scope('path')}"""):
            loc: Loc = ("claims", pos, field)
            if not is_claim:
                findings.append(_reference(display(path), loc, ref, kind, ("claim",), field))
            elif named_back != ident:
                findings.append(_finding(display(path), loc, "KB047",
                                         f"'{ref}' does not name '{ident}' in `{back}`",
                                         f"add `{back}: {ident}` to claim '{ref}'"))
    for path, ref, kind in db.execute(f"""
            SELECT r.path, r.standing_by, i.kind FROM records r
            LEFT JOIN ids i ON i.id = r.standing_by
            WHERE r.standing_by IS NOT NULL AND i.kind IS NOT 'source' AND {scope('r.path')}"""):
        findings.append(_reference(display(path), ("standing", "by"), ref, kind, ("source",),
                                   "superseding source"))
    return findings


def _overlap(first: str, second: str) -> bool:
    """SQL `overlap(context, context)`: whether two claims' stored contexts can describe the
    same situation (`vocab.contexts_overlap`)."""
    return vocab.contexts_overlap(json.loads(first), json.loads(second))


def _duplicates_and_opposites(db: sqlite3.Connection, display: Display,
                              scope: Scope) -> list[Finding]:
    """KB036: the same subject, predicate, object and context stated again (reported against
    the first statement). KB037: a predicate that contradicts an earlier claim on the same
    subject and object in an overlapping context (not a rat study against a human one), unless
    either status already records the disagreement; reported once
    per claim, against the first it contradicts (with how many more), so that n opposing
    claims on one pair make n findings, not n²/4."""
    tolerant = sorted(vocab.CONFLICT_TOLERANT_STATUSES)
    rows = db.execute(f"""
        SELECT a.path, a.pos, a.id, a.predicate, b.path, b.id, b.predicate,
               b.predicate = a.predicate AND b.context = a.context AS repeated
        FROM claims a
        JOIN claims b ON b.subject = a.subject AND b.object = a.object
                     AND (b.path, b.pos) < (a.path, a.pos)
        WHERE {scope('a.path')} AND ((b.predicate = a.predicate AND b.context = a.context)
           OR (EXISTS (SELECT 1 FROM opposite WHERE predicate = a.predicate
                       AND other = b.predicate)
               AND a.status NOT IN ({placeholders(tolerant)})
               AND b.status NOT IN ({placeholders(tolerant)})
               AND overlap(a.context, b.context)))
        ORDER BY a.path, a.pos, b.path, b.pos""", (*tolerant, *tolerant))
    findings: list[Finding | None] = []
    reported: set[tuple[str, int]] = set()  # claims already reported as a repeat
    #: claim → its KB037 finding's slot in `findings`, its message, how many it contradicts
    contradicting: dict[tuple[str, int], tuple[int, str, int]] = {}
    for path, pos, ident, predicate, first_path, other, other_predicate, repeated in rows:
        if not repeated:
            slot, message, count = contradicting.get((path, pos), (len(findings), "", 0))
            if not count:  # the first, and so earliest, claim it contradicts
                message = f"'{ident}' ({predicate}) contradicts '{other}' ({other_predicate})"
                findings.append(None)
            contradicting[(path, pos)] = (slot, message, count + 1)
        elif (path, pos) not in reported:  # the earliest repeat is the first statement
            reported.add((path, pos))
            findings.append(_finding(display(path), ("claims", pos, "id"), "KB036",
                                     f"claim '{ident}' repeats '{other}' in "
                                     f"{display(first_path)}",
                                     "add this evidence to the existing claim instead"))
    for (path, pos), (slot, message, count) in contradicting.items():
        more = f" and {count - 1} other claim{'s' if count > 2 else ''}" if count > 1 else ""
        findings[slot] = _finding(display(path), ("claims", pos, "predicate"), "KB037",
                                  message + more, "mark the one the literature rejects "
                                  "'refuted' or 'outdated', or both 'contested'")
    return [finding for finding in findings if finding is not None]


def _quotes(db: sqlite3.Connection, display: Display, scope: Scope, sources_dir: Path | None,
            archived: list[tuple[str, str, str, str]],
            texts: Mapping[str, str | None]) -> list[Finding]:
    """KB039 archive missing; KB040 evidence from an archived source without a quote; KB038
    a quote that is not in the archive (both normalised: quotes when their file is indexed).
    `archived`: each archived source's file, id, archive name and snapshot file, in file
    order; `texts`: snapshot file → its text (None: not there), read when first needed."""
    reported = {path for (path,) in db.execute(
        f"SELECT path FROM records WHERE kind = 'source' AND {scope('path')}")}
    findings = [_finding(display(path), ("archive",), "KB039",
                         f"archive '{archive}' is not in {sources_dir}",
                         "add the snapshot or correct the file name")
                for path, _, archive, file in archived
                if path in reported and texts[file] is None]
    file_of = {ident: file for _, ident, _, file in archived}
    # without snapshots only the missing quotes matter: the rest need not leave SQLite
    only_missing = "" if file_of else "AND q.quote_normalised IS NULL"
    # evidence, and regulatory actions (claim_pos -1), quote their sources alike
    for path, claim_pos, pos, source, quote, archive in db.execute(f"""
            SELECT q.path, q.claim_pos, q.pos, q.source, q.quote_normalised, i.archive
            FROM (SELECT path, claim_pos, pos, source, quote_normalised FROM evidence
                  UNION ALL SELECT path, -1, pos, source, quote_normalised FROM regulatory) q
            JOIN ids i ON i.id = q.source
            WHERE i.kind = 'source' AND i.archive IS NOT NULL {only_missing}
                  AND {scope('q.path')}"""):
        loc: Loc = ("regulatory", pos) if claim_pos < 0 else ("claims", claim_pos, "evidence",
                                                               pos)
        if quote is None:
            what = "regulatory action" if claim_pos < 0 else "evidence"
            findings.append(_finding(display(path), loc, "KB040",
                                     f"{what} from '{source}' has no quote",
                                     "quote the source's own words (at most 30)"))
        elif (source in file_of and (text := texts[file_of[source]]) is not None
              and not quote_in(quote, text)):
            findings.append(_finding(display(path), (*loc, "quote"), "KB038",
                                     f"quote not found in {archive}",
                                     "copy the words exactly, typos included"))
    return findings


def _unused(db: sqlite3.Connection, display: Display, scope: Scope) -> list[Finding]:
    """KB050 a source no claim or regulatory action cites; KB051 a record no claim
    involves."""
    findings = [_finding(display(path), ("id",), "KB050",
                         f"source '{ident}' is not cited by any claim",
                         "cite it as evidence, or remove it")
                for path, ident in db.execute(f"""
                    SELECT path, id FROM records r WHERE kind = 'source' AND {scope('path')}
                    AND NOT EXISTS (SELECT 1 FROM evidence WHERE source = r.id)
                    AND NOT EXISTS (SELECT 1 FROM figures WHERE source = r.id)
                    AND NOT EXISTS (SELECT 1 FROM regulatory WHERE source = r.id)""")]
    findings += [_finding(display(path), ("id",), "KB051", f"no claim involves '{ident}'",
                          "add a claim that links it to the rest of the KB")
                 for path, ident in db.execute(f"""
                    SELECT path, id FROM records r WHERE kind <> 'source' AND {scope('path')}
                    AND NOT EXISTS (SELECT 1 FROM claims WHERE subject = r.id)
                    AND NOT EXISTS (SELECT 1 FROM claims WHERE object = r.id)""")]
    return findings
