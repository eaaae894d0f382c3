"""Bringing the compiled index up to date with the KB's files: discover, check, rows.

This module owns the step from files to the store (`ketakb.pipeline.store`): it finds the record
files (`loader.discover`), decides from their change keys which to read again, checks those
on their own (`loader.check_bytes`; on every core when there are many), projects each valid
record onto the rows of the store's tables, and hands them over, in one transaction. The
loader, and with it the YAML parser and the models, is imported only when the files must be
looked at: the query path over an unchanged KB never loads them.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from ketakb import vocab
from ketakb.certainty import claim_system
from ketakb.findings import Finding
from ketakb.pipeline.quotes import normalise
from ketakb.pipeline.scope import Tracker
from ketakb.pipeline.store import (
    Batch,
    ClaimRow,
    EvidenceRow,
    FigureRow,
    IdentifierRow,
    NameRow,
    RecordRow,
    RecordRows,
    RegulatoryRow,
    SearchRow,
    Store,
    change_key,
    digest,
    finding_rows,
)
from ketakb.shapes import claim_json, display_name, record_json, regulatory_json
from ketakb.units import potency

if TYPE_CHECKING:  # the loader imports the YAML parser: only needed when a file changed
    from ketakb.pipeline.loader import RecordFile

#: From this many changed files on, they are checked in worker processes on every core.
PARALLEL_MIN = 256
#: Rows are inserted in batches of this many files.
_BATCH = 512

Progress = Callable[[int, int], None]


class Job(NamedTuple):
    """One file to read, and to check unless its digest is `old_digest`."""

    key: str  # the path inside the KB
    location: str
    kind: str
    display: str
    old_digest: str | None


class Settings(NamedTuple):
    """How every file of one refresh is checked."""

    debug: bool  # internal errors carry their traceback
    queried: bool  # the index answers queries (JSON, names and full-text rows)


class Outcome(NamedTuple):
    """What reading and checking one file gave."""

    key: str
    digest: str  # empty when the file could not be read, or its check must not be kept
    kind: str
    record: str | None  # the record's JSON, when valid and queried
    findings: str  # the file's own findings, as the store keeps them
    rows: RecordRows | None  # None for an invalid record (or an unchanged one)
    unchanged: bool  # the content is as before: only the change key is stored again


@dataclass
class Indexed:
    """A store brought up to date with the KB's files, and the files it was brought to."""

    store: Store
    files: list[RecordFile]  # every record file, sorted
    stray: list[Finding]  # the findings of files and folders that are not records
    by_key: dict[str, RecordFile]  # the files by their path inside the KB

    def display(self, key: str) -> str:
        """How the file at `key` is shown to the user."""
        return self.by_key[key].display

    def file_findings(self) -> list[Finding]:
        """The stray files' findings and each file's own."""
        return self.stray + self.store.file_findings(self.display)


#: One encoder for every claim: `json.dumps(..., sort_keys=True)` builds one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True)


def _context_key(claim: dict[str, Any]) -> str:
    """A claim's context in one canonical text, so equal contexts compare equal in SQL."""
    context = claim.get("context")
    return _CANONICAL.encode(context) if context else "{}"


def _joined(species: list[str] | None) -> str | None:
    """A list of species ids in one column (ids hold no commas)."""
    return None if species is None else ",".join(species)


def record_rows(key: str, kind: str, record: dict[str, Any], queried: bool) -> RecordRows:
    """The table rows of one valid record (computed wherever the file was checked).

    The columns the cross-record checks read are always filled; the JSON, names and
    full-text rows only serve queries, so a validation-only index leaves them out.
    """
    ident = record["id"]
    name = display_name(record)
    source = kind == "source"
    standing = record.get("standing") or {}
    row: RecordRow = (ident, kind, name, record.get("type") if source else None,
                      record.get("archive"), key,
                      json.dumps(record_json(record, kind), ensure_ascii=False) if queried
                      else None, record.get("design") if source else None,
                      _joined(record.get("species")) if source else None,
                      record.get("study") if source else None, standing.get("status"),
                      standing.get("by"))
    names: list[NameRow] = []
    search: list[SearchRow] = []
    if queried:
        keys = {ident, name, *record.get("synonyms", ())}
        names = [(k.casefold(), ident, key) for k in keys]
        texts = [(name, "name"), *((s, "synonym") for s in record.get("synonyms", ())),
                 (record.get("summary"), "summary")]
        search = [(t, ident, kind, f) for t, f in texts if t]
    claims: list[ClaimRow] = []
    evidence_rows: list[EvidenceRow] = []
    figures: list[FigureRow] = []
    for i, claim in enumerate(record.get("claims", ())):
        claim_id = claim["id"]
        system = claim_system(claim.get("context"))
        claims.append((claim_id, ident, claim["subject"], claim["predicate"],
                       claim["object"], claim["status"], _context_key(claim), key, i,
                       json.dumps(claim_json(claim, ident), ensure_ascii=False)
                       if queried else None, len(claim.get("searches", ())),
                       claim.get("successor"),
                       claim.get("supersedes")))
        if queried:
            search.append((claim["statement"], claim_id, "claim", "statement"))
        for j, evidence in enumerate(claim["evidence"]):
            quote = evidence.get("quote")
            evidence_rows.append((key, i, j, claim_id, claim["status"], claim["predicate"],
                                  system, evidence["source"],
                                  evidence["stance"], quote and normalise(quote),
                                  evidence.get("design"), _joined(evidence.get("species"))))
            if quote and queried:
                search.append((quote, claim_id, "claim", "quote"))
        figures += [(key, i, j, figure["source"], figure["measure"], potency(figure))
                    for j, figure in enumerate(claim.get("figures", ()))]
    regulatory: list[RegulatoryRow] = [
        (key, i, ident, action["date"], action["agency"], action["jurisdiction"],
         action["product"], action["source"], action.get("indication"),
         (quote := action.get("quote")) and normalise(quote),
         json.dumps(regulatory_json(action, ident), ensure_ascii=False) if queried else None)
        for i, action in enumerate(record.get("regulatory", ()))]
    identifiers: list[IdentifierRow] = [(f"{scheme}:{value.casefold()}", ident, key)
                   for scheme in vocab.DOCUMENT_IDENTIFIERS if (value := record.get(scheme))
                   ] if source else []
    return RecordRows(row, names, claims, evidence_rows, figures, search, regulatory,
                      identifiers)


def _check_job(settings: Settings, job: Job) -> Outcome:
    """Read, digest and check one file: runs in a worker process or in this one."""
    from ketakb.pipeline.loader import RecordFile, check_bytes, read_file

    record_file = RecordFile(job.location, job.kind, job.display)
    raw = read_file(record_file)
    if isinstance(raw, Finding):
        return Outcome(job.key, "", job.kind, None, finding_rows([raw]), None, False)
    new_digest = digest(raw)
    if new_digest == job.old_digest:
        return Outcome(job.key, new_digest, job.kind, None, "", None, True)
    result = check_bytes(record_file, raw, debug=settings.debug)
    cacheable = not any(f.code == "KB099" for f in result.findings)
    record = result.record
    return Outcome(job.key, new_digest if cacheable else "", result.kind,
                   json.dumps(record, ensure_ascii=False)
                   if record is not None and settings.queried else None,
                   finding_rows(result.findings),
                   None if record is None else record_rows(job.key, result.kind, record,
                                                           settings.queried),
                   False)


def _check_chunk(settings: Settings, jobs: list[Job]) -> list[Outcome]:
    return [_check_job(settings, job) for job in jobs]


def _run_jobs(jobs: list[Job], settings: Settings, workers: int | None) -> Iterator[Outcome]:
    """Every job's outcome, in the order of `jobs`: on worker processes when there are many."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers < 2 or len(jobs) < PARALLEL_MIN:
        yield from map(partial(_check_job, settings), jobs)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor


    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    size = max(16, min(256, len(jobs) // (workers * 16) or 1))
    chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for outcomes in pool.map(partial(_check_chunk, settings), chunks):
            yield from outcomes


@contextmanager
def _rare_collections() -> Iterator[None]:
    """Run the cyclic garbage collector rarely while files are checked and stored.

    Checking creates millions of short-lived objects (parse trees, rows, unpickled outcomes)
    that reference counting frees; the collector's frequent passes over them found nothing
    and cost ~4 % of a cold run at 100,000 records. Forked workers inherit the setting.
    """
    before = gc.get_threshold()
    gc.set_threshold(10_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def refresh(store: Store, *, debug: bool = False, progress: Progress | None = None,
            workers: int | None = None, queried: bool = True) -> Indexed:
    """Bring the store up to date with every file of its KB.

    When many files changed they are checked on every core (`workers` processes; default:
    the CPU count), with results identical to one core. `queried=False` leaves out what only
    queries read, for a throwaway index that only validates.
    """
    return _refresh(store, store.signature(), debug, progress, workers, queried)


def update(store: Store) -> None:
    """The query path's refresh: skipped when the folders are unchanged and either no file
    changed or the KB is too large to stat every file (`store.FULL_STAT_LIMIT`)."""
    signature = store.signature()
    if not store.current(signature):
        _refresh(store, signature, False, None, None, True)


def _refresh(store: Store, signature: str, debug: bool, progress: Progress | None,
             workers: int | None, queried: bool) -> Indexed:
    """The refresh, in one transaction: the rows, the indexes and the stamps that say the
    index matches the files are committed together or not at all."""
    try:
        indexed = _bring_up_to_date(store, signature, debug, progress, workers, queried)
    except BaseException:  # a crash or Ctrl-C: the index stays as the last refresh left it
        store.db.rollback()
        raise
    store.db.commit()
    return indexed


@dataclass
class _Plan:
    """What a refresh must do: the files to read, how each was stat-ed, and what the query
    path's stamp is made of."""

    jobs: list[Job]
    settings: Settings
    stats: dict[str, os.stat_result | None]
    present: list[os.stat_result]  # every file that could be stat-ed
    racy: bool  # a file read may still change unseen


def _plan(store: Store, wanted: dict[str, RecordFile],
          known: dict[str, tuple[int, int, int, int, str]], debug: bool,
          queried: bool) -> _Plan:
    """Stat every file: those whose change key differs from the stored one are read."""
    plan = _Plan([], Settings(debug, queried), {}, [], False)
    for key, record_file in wanted.items():
        st: os.stat_result | None
        try:
            st = os.stat(record_file.location)
        except OSError:
            st = None
        else:
            plan.present.append(st)
        old = known.get(key)
        if st is not None and old is not None and change_key(st) == old[:4]:
            continue
        plan.racy |= st is not None and store.racy(st)
        plan.stats[key] = st
        plan.jobs.append(Job(key, record_file.location, record_file.kind, record_file.display,
                             old[4] if old else None))
    return plan


def _bring_up_to_date(store: Store, signature: str, debug: bool, progress: Progress | None,
                      workers: int | None, queried: bool) -> Indexed:
    from ketakb.pipeline.loader import discover

    tracker = Tracker(store)
    files, stray = discover(store.root)
    store.start_refresh()  # before any file is looked at (see `Store.racy`)
    known = store.known()
    wanted = {store.key(f.location): f for f in files}
    plan = _plan(store, wanted, known, debug, queried)
    removed = known.keys() - wanted.keys()
    tracker.too_many(len(plan.jobs) + len(removed), len(wanted))
    for key in removed:
        tracker.replaced(key)
        store.forget(key)
    total, done = len(wanted), len(wanted) - len(plan.jobs)
    if progress is not None and total:
        progress(done, total)
    store.begin_load()
    # filling an empty index: its indexes are built once at the end, which is far cheaper
    # than updating them row by row; in the refresh's transaction, so an interrupted load
    # leaves the indexes as they were
    rebuild = (store.drop_indexes(queried) if not known and len(plan.jobs) >= PARALLEL_MIN
               else [])
    changed = _load(store, tracker, plan, known, workers, progress, done, total) or bool(removed)
    for statement in rebuild:
        store.db.execute(statement)
    store.mark_refreshed(signature, list(wanted),
                         plan.present if len(plan.present) == len(wanted) and not plan.racy
                         else None, changed)
    return Indexed(store, files, stray, wanted)


def _load(store: Store, tracker: Tracker, plan: _Plan,
          known: dict[str, tuple[int, int, int, int, str]], workers: int | None,
          progress: Progress | None, done: int, total: int) -> bool:
    """Check the planned files and store their rows. True if any file's rows changed."""
    changed = False
    batch = Batch()
    with _rare_collections():
        for outcome in _run_jobs(plan.jobs, plan.settings, workers):
            key = outcome.key
            stored = store.stored_key(plan.stats[key], outcome.digest)
            if outcome.unchanged:
                store.restamp(key, stored)
            else:
                if key in known:
                    store.write(batch)  # keep the order of deletes and inserts
                    batch.clear()
                    tracker.replaced(key)
                    store.forget(key)
                else:
                    tracker.added(key)
                store.add(batch, key, outcome.kind, stored, outcome.digest, outcome.record,
                          outcome.findings, outcome.rows)
                changed = True
            done += 1
            if batch.size >= _BATCH:
                store.write(batch)
                batch = Batch()
            if progress is not None:
                progress(done, total)
        store.write(batch)
    return changed
