"""The compiled index: one SQLite file per KB that serves both queries and re-validation.

For each record file it keeps the file's size, modification time, change time and inode
number, and its content digest, with the result of checking that file on its own (the record's
values and its findings). From the valid records it derives the query tables (records, names,
claims, evidence and a full-text index). A refresh re-reads only files whose size, times or
inode changed, re-checks only those whose digest changed, and rebuilds nothing else.

The change time is what makes this sound: a copy or restore that keeps the size and puts the
old modification time back (`cp -p`, `rsync -t`, `tar x`) still sets it, and nothing can set
it back. A file stored within RACY_NS of its change time could still change within the same
timestamp tick, unseen: it is stored as "compare the content next time" (as git does with
racily clean files), which costs a read, never a wrong answer.

The file lives in the user's cache directory (never inside the KB). A refresh, and a
validation's findings, are committed in one transaction each, so a run that dies leaves the
last complete state. A corrupt, foreign or outdated cache, or one whose values cannot be read
back, is rebuilt from scratch; an unwritable or busy one is replaced by an in-memory index.
"""

from __future__ import annotations

import gc
import hashlib
import json
import operator
import os
import posixpath
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sized
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ketakb import __version__
from ketakb.files import printable_path
from ketakb.findings import Finding
from ketakb.quotes import normalise
from ketakb.shapes import claim_json, display_name, record_json

if TYPE_CHECKING:  # the loader imports the YAML parser: only needed when a file changed
    from ketakb.loader import RecordFile

SCHEMA_VERSION = "5"
CACHE_ENV = "KETAKB_CACHE_DIR"
#: Above this many files a query trusts the folders' signature (files added, removed or
#: renamed) instead of stat-ing every file; `ketakb validate` always checks every file.
FULL_STAT_LIMIT = 20_000

#: The full-text tokenizer: stems English words, ignores case and accents.
TOKENIZE = "porter unicode61 remove_diacritics 2"
_DDL = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    path TEXT PRIMARY KEY, kind TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
    digest TEXT NOT NULL, valid INTEGER NOT NULL, record TEXT, findings TEXT NOT NULL
);
-- what the change check reads, without reading the stored records and findings
CREATE INDEX files_stat ON files (path, size, mtime_ns, ctime_ns, inode, digest);
-- the few files with findings of their own, and the broken ones, without scanning them all
CREATE INDEX files_with_findings ON files (path) WHERE findings <> '[]';
CREATE INDEX files_broken ON files (path, kind) WHERE NOT valid;
CREATE TABLE records (
    id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, type TEXT, archive TEXT,
    path TEXT NOT NULL, json TEXT
);
CREATE INDEX records_id ON records (id);
CREATE INDEX records_kind ON records (kind, id);
CREATE INDEX records_path ON records (path);
CREATE TABLE names (key TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL);
CREATE INDEX names_key ON names (key);
CREATE INDEX names_path ON names (path);
CREATE TABLE claims (
    id TEXT NOT NULL, host TEXT NOT NULL, subject TEXT NOT NULL, predicate TEXT NOT NULL,
    object TEXT NOT NULL, status TEXT NOT NULL, context TEXT NOT NULL, path TEXT NOT NULL,
    pos INTEGER NOT NULL, json TEXT
);
CREATE INDEX claims_id ON claims (id);
CREATE INDEX claims_subject ON claims (subject, object);
CREATE INDEX claims_object ON claims (object);
CREATE INDEX claims_host ON claims (host);
CREATE INDEX claims_path ON claims (path);
-- clustered by claim (no rowid), so checks that look at all of a claim's evidence read it
-- in one sequential pass; the claim's status is repeated here for the same reason
CREATE TABLE evidence (
    path TEXT NOT NULL, claim_pos INTEGER NOT NULL, pos INTEGER NOT NULL, claim TEXT NOT NULL,
    status TEXT NOT NULL, source TEXT NOT NULL, stance TEXT NOT NULL, quote_normalised TEXT,
    PRIMARY KEY (path, claim_pos, pos)
) WITHOUT ROWID;
CREATE INDEX evidence_claim ON evidence (claim);
CREATE INDEX evidence_source ON evidence (source);
CREATE TABLE figures (
    path TEXT NOT NULL, claim_pos INTEGER NOT NULL, pos INTEGER NOT NULL, source TEXT NOT NULL,
    PRIMARY KEY (path, claim_pos, pos)
) WITHOUT ROWID;
CREATE INDEX figures_source ON figures (source);
-- the normalised text of each archived source snapshot, by the file's change key
CREATE TABLE archives (
    file TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, text TEXT NOT NULL
);
-- the cross-record findings of the last validation, placed, by file; and what changed since
-- (files, the ids their old and new rows defined or referred to, their claims' subject and
-- object), so that the next validation recomputes only the findings a change can affect
CREATE TABLE cross_findings (path TEXT PRIMARY KEY, findings TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE dirty_files (path TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE dirty_ids (id TEXT NOT NULL, referenced INTEGER NOT NULL);
CREATE TABLE dirty_pairs (subject TEXT NOT NULL, object TEXT NOT NULL);
CREATE VIRTUAL TABLE search USING fts5 (
    text, tokenize = '{TOKENIZE}'
);
-- what each full-text row is (same rowid), kept apart: reading it from the full-text table
-- would read every matching row's text as well
CREATE TABLE search_rows (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, kind TEXT NOT NULL, field TEXT NOT NULL
);
"""
#: What the cache file's `sqlite_master` must hold, statement for statement (the full-text
#: table's own tables come on top): a file that lacks a table, a column or an index is rebuilt.
_SCHEMA = frozenset(
    (match[1].lower(), match[2], statement)
    for statement in (part.strip() for part in re.sub(r"--[^\n]*\n", "", _DDL).split(";"))
    if (match := re.match(r"CREATE (?:VIRTUAL )?(TABLE|INDEX) (\w+)", statement)))
#: A file whose change time is this close to the refresh that stores it (or later) is
#: compared by content next time: it may change again within the same tick of the file
#: system's clock (a few milliseconds on Linux) without any of its times changing ...
RACY_NS = 100_000_000
#: ... and on a file system that keeps whole seconds (change times with no fraction; FAT
#: keeps 2 s steps)
COARSE_RACY_NS = 2_000_000_000
#: How long a run waits for another run to finish with the cache before it works without it
#: (in memory), in seconds.
LOCK_WAIT = 2.0

#: Indexes that serve queries and the next refresh, not the cross-record checks: a
#: throwaway index that only validates goes without them (0.4 s less at 100,000 records).
_QUERY_INDEXES = frozenset({"files_stat", "records_kind", "records_path", "names_key",
                            "names_path", "claims_host", "claims_path", "evidence_claim"})
_BY_PATH = ("records", "names", "claims", "evidence", "figures")
_BY_ROWID = ("search", "search_rows")


def checker_fingerprint() -> str:
    """Size and mtime of the modules whose code decides a file's findings and table rows.

    Part of the cache's identity, so a changed checker (a new rule, a reworded message, a new
    column) never serves results computed by the old one, even within one version number.
    """
    package = Path(__file__).resolve().parent
    parts = []
    for name in ("checks", "findings", "index", "loader", "models", "parse", "quotes", "shapes",
                 "validation", "vocab"):
        st = (package / f"{name}.py").stat()
        parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def cache_dir() -> Path:
    """$KETAKB_CACHE_DIR, else the XDG cache folder (~/.cache/ketakb)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ketakb"


def cache_path(root: Path) -> Path:
    """One cache file per KB folder, named by a digest of its absolute path."""
    key = hashlib.sha256(os.fsencode(root.resolve())).hexdigest()[:16]  # any name's bytes
    return cache_dir() / f"index-{key}.sqlite"


class DamagedCache(Exception):
    """A value read back from the cache file is not what was stored: the run starts again on
    a cache rebuilt from scratch."""


def load_json(text: str) -> Any:
    """A JSON column's value; damage in the file is a `DamagedCache`, not a crash."""
    try:
        return json.loads(text)
    except (TypeError, ValueError) as err:
        raise DamagedCache(f"unreadable value in the cache: {err}") from None


def _lock(path: Path) -> int | None:
    """Hold `<cache>.lock` exclusively (released when the descriptor is closed): one run at a
    time opens, refreshes and writes a cache file. None when another run keeps it longer
    than LOCK_WAIT, or the platform has no `fcntl`: the caller then works in memory."""
    try:
        import fcntl
    except ImportError:  # Windows: no cache rather than one shared without a lock
        return None
    handle = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + LOCK_WAIT
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return handle
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.02)
    except BaseException:  # a file system without locks, or Ctrl-C while waiting
        os.close(handle)
        raise
    os.close(handle)
    return None


def placeholders(values: Sized) -> str:
    """SQL placeholders for a list of parameters: `?, ?, ?`."""
    return ", ".join("?" * len(values))


def digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def _finding_rows(findings: list[Finding]) -> str:
    """Findings without their file name, which depends on the working directory."""
    if not findings:  # most files: no need to run the encoder
        return "[]"
    return json.dumps([[f.line, f.column, f.code, f.message, f.hint, list(f.loc)]
                       for f in findings], ensure_ascii=False)


def _findings_from_rows(text: str, file: str) -> list[Finding]:
    try:
        return [Finding(file, line, column, code, message, hint, tuple(loc))
                for line, column, code, message, hint, loc in load_json(text)]
    except (TypeError, ValueError) as err:  # valid JSON of another shape
        raise DamagedCache(f"unreadable findings in the cache: {err}") from None


_MTIME = operator.attrgetter("st_mtime_ns")
_CTIME = operator.attrgetter("st_ctime_ns")
_INODE = operator.attrgetter("st_ino")
_SIZE = operator.attrgetter("st_size")
#: What a file's change key is stored as when its content must be compared next time.
_RECHECK = (-1, -1, -1, -1)


def _change_key(st: os.stat_result) -> tuple[int, int, int, int]:
    """Size, modification time, change time, inode: equal keys, same content (see the module
    docstring)."""
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _stamp(stats: list[os.stat_result]) -> str:
    """One hash of every file's change key, in order: what the query path compares to learn
    that no file changed (taken in C loops: it runs before every query)."""
    return str(hash(tuple(chain.from_iterable(zip(
        map(_MTIME, stats), map(_CTIME, stats), map(_INODE, stats), map(_SIZE, stats),
        strict=True)))))


_T = TypeVar("_T")

#: Snapshot files to read again, with their size and modification time.
Stale = list[tuple[str, int, int]]

#: Full-text rows of the file with rowid r get rowids r << 20 ... (r + 1) << 20 - 1, so a
#: changed file's rows are deleted by range (the table cannot index its path column).
_SEARCH_BITS = 20
#: From this many changed files on, they are checked in worker processes on every core.
PARALLEL_MIN = 256
#: A re-validation whose change can affect more files than this share recomputes every
#: cross-record finding (on two connections) instead of those files' (on one).
SCOPE_SHARE = 4
_UNCHANGED = "unchanged"

#: What a worker is given: key, path, kind, display name, previous digest, debug, and whether
#: the index answers queries (record JSON, names and full-text rows) or only validates.
_Job = tuple[str, str, str, str, "str | None", bool, bool]
#: The table rows of one valid record: records row, names, claims, evidence, figures and
#: full-text rows.
_Rows = list[tuple[Any, ...]]
_Derived = tuple[tuple[Any, ...], _Rows, _Rows, _Rows, _Rows, _Rows]
#: What a worker returns: key, digest, kind, record JSON (when queried), findings JSON, and the
#: derived rows (None for an invalid record, _UNCHANGED when the content is as before).
_Outcome = tuple[str, str, str, "str | None", str, "_Derived | str | None"]


#: One encoder for every claim: `json.dumps(..., sort_keys=True)` builds one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True)


def _context_key(claim: dict[str, Any]) -> str:
    """A claim's context in one canonical text, so equal contexts compare equal in SQL."""
    context = claim.get("context")
    return _CANONICAL.encode(context) if context else "{}"


def _derived_rows(key: str, kind: str, record: dict[str, Any], queried: bool) -> _Derived:
    """The table rows of one valid record (computed wherever the file was checked).

    The columns the cross-record checks read are always filled; the JSON, names and
    full-text rows only serve queries, so a validation-only index leaves them out.
    """
    ident = record["id"]
    name = display_name(record)
    source = kind == "source"
    records = (ident, kind, name, record.get("type") if source else None,
               record.get("archive"), key,
               json.dumps(record_json(record, kind), ensure_ascii=False) if queried else None)
    names: _Rows = []
    search: _Rows = []
    if queried:
        keys = {ident, name, *record.get("synonyms", ())}
        names = [(k.casefold(), ident, key) for k in keys]
        texts = [(name, "name"), *((s, "synonym") for s in record.get("synonyms", ())),
                 (record.get("summary"), "summary")]
        search = [(t, ident, kind, f) for t, f in texts if t]
    claims: _Rows = []
    evidence_rows: _Rows = []
    figures: _Rows = []
    for i, claim in enumerate(record.get("claims", ())):
        claim_id = claim["id"]
        claims.append((claim_id, ident, claim["subject"], claim["predicate"],
                       claim["object"], claim["status"], _context_key(claim), key, i,
                       json.dumps(claim_json(claim, ident), ensure_ascii=False)
                       if queried else None))
        if queried:
            search.append((claim["statement"], claim_id, "claim", "statement"))
        for j, evidence in enumerate(claim["evidence"]):
            quote = evidence.get("quote")
            evidence_rows.append((key, i, j, claim_id, claim["status"], evidence["source"],
                                  evidence["stance"], quote and normalise(quote)))
            if quote and queried:
                search.append((quote, claim_id, "claim", "quote"))
        figures += [(key, i, j, figure["source"])
                    for j, figure in enumerate(claim.get("figures", ()))]
    return records, names, claims, evidence_rows, figures, search


def _check_job(job: _Job) -> _Outcome:
    """Read, digest and check one file: runs in a worker process or in this one."""
    from ketakb.loader import RecordFile, check_bytes, read_file

    key, path, kind, display, old_digest, debug, queried = job
    record_file = RecordFile(path, kind, display)
    raw = read_file(record_file)
    if isinstance(raw, Finding):
        return key, "", kind, None, _finding_rows([raw]), None
    new_digest = digest(raw)
    if new_digest == old_digest:
        return key, new_digest, kind, None, "", _UNCHANGED
    result = check_bytes(record_file, raw, debug=debug)
    cacheable = not any(f.code == "KB099" for f in result.findings)
    record = result.record
    return (key, new_digest if cacheable else "", result.kind,
            json.dumps(record, ensure_ascii=False) if record is not None and queried else None,
            _finding_rows(result.findings),
            None if record is None else _derived_rows(key, result.kind, record, queried))


def _check_chunk(jobs: list[_Job]) -> list[_Outcome]:
    return [_check_job(job) for job in jobs]


def _run_jobs(jobs: list[_Job], workers: int | None) -> Iterator[_Outcome]:
    """Every job's outcome, in the order of `jobs`: on worker processes when there are many."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers < 2 or len(jobs) < PARALLEL_MIN:
        yield from map(_check_job, jobs)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import ketakb.loader
    import ketakb.models  # noqa: F401 - imported once here, inherited by forked workers

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    size = max(16, min(256, len(jobs) // (workers * 16) or 1))
    chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for outcomes in pool.map(_check_chunk, chunks):
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


class _Batch:
    """Rows waiting to be inserted together (one executemany per table)."""

    def __init__(self) -> None:
        self.size = 0
        self.files: _Rows = []
        self.records: _Rows = []
        self.names: _Rows = []
        self.claims: _Rows = []
        self.evidence: _Rows = []
        self.figures: _Rows = []
        self.search: _Rows = []
        self.search_rows: _Rows = []

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]


def using_index(root: Path, use_cache: bool, work: Callable[[Index], _T]) -> _T:
    """`work` done on the KB's index, closed after. When the cache file cannot be read back
    (damage shows only on reading), the work is done again on a cache rebuilt from scratch."""
    index = Index.open(root, use_cache=use_cache)
    persistent = index.persistent
    try:
        return work(index)
    except (DamagedCache, sqlite3.DatabaseError):
        if not persistent:  # no cache file to blame
            raise
    finally:
        index.close()
    index = Index.open(root, fresh=True)
    try:
        return work(index)
    finally:
        index.close()


class Snapshots(dict[str, "str | None"]):
    """Snapshot file → normalised text (None: not there); a text kept in the index is read
    from it on first use."""

    def __init__(self, db: sqlite3.Connection) -> None:
        super().__init__()
        self._db = db

    def __missing__(self, file: str) -> str | None:
        row = self._db.execute("SELECT text FROM archives WHERE file = ?", (file,)).fetchone()
        self[file] = text = None if row is None else str(row[0])
        return text


class Index:
    """An open compiled index of one KB folder."""

    def __init__(self, root: Path, connection: sqlite3.Connection, path: Path | None,
                 lock: int | None = None) -> None:
        self.root = root
        self.db = connection
        self.path = path  # the cache file; None for an in-memory index
        self._lock = lock  # the cache's lock file, held until `close`
        self.stray: list[Finding] = []
        self.files: list[RecordFile] = []
        self._by_key: dict[str, RecordFile] = {}
        self._prefix = os.path.join(os.fspath(root), "")  # of every file's location
        self._next_row = 1
        self._tracking = False  # whether changes are noted for the stored cross findings
        self._cross_settings = ""
        self._cross_scoped = False
        self._started = 0  # when the last refresh began
        #: change keys of the snapshots to read again, stored with their texts
        self._snapshot_keys: dict[str, tuple[int, int, int, int]] = {}

    @property
    def persistent(self) -> bool:
        return self.path is not None

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, root: Path, *, use_cache: bool = True, fresh: bool = False) -> Index:
        """Open (or create) the KB's cache; fall back to memory when it cannot be used, or
        another run keeps it busy. `fresh`: rebuild the cache from scratch."""
        if use_cache:
            path = cache_path(root)
            lock = None
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                lock = _lock(path)
                if lock is not None:
                    return cls(root, cls._connect(path, root, fresh), path, lock)
            except (OSError, sqlite3.Error):
                pass
            if lock is not None:
                os.close(lock)
        connection = sqlite3.connect(":memory:")
        connection.executescript(_DDL)
        cls._stamp(connection, root)
        return cls(root, connection, None)

    @staticmethod
    def _stamp(connection: sqlite3.Connection, root: Path) -> None:
        connection.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("schema", SCHEMA_VERSION), ("version", __version__),
            ("checker", checker_fingerprint()), ("root", printable_path(str(root.resolve())))])
        connection.commit()

    @classmethod
    def _connect(cls, path: Path, root: Path, fresh: bool) -> sqlite3.Connection:
        """A usable cache connection: a cache that is corrupt, foreign or old is rebuilt (the
        caller holds the lock, so no other run has the file open)."""
        for attempt in range(2):
            connection = sqlite3.connect(path, timeout=10)
            try:
                meta = dict(connection.execute("SELECT key, value FROM meta"))
                ours = (meta.get("schema"), meta.get("version"), meta.get("checker")) == (
                    SCHEMA_VERSION, __version__, checker_fingerprint())
                if not fresh and ours and set(connection.execute(
                        "SELECT type, name, sql FROM sqlite_master")) >= _SCHEMA:
                    # a write-ahead log: no fsync per commit, and readers never block writers
                    connection.execute("PRAGMA journal_mode = WAL")
                    connection.execute("PRAGMA synchronous = NORMAL")
                    return connection
            except sqlite3.DatabaseError:
                pass
            connection.close()
            fresh = False
            if attempt == 0:
                for suffix in ("", "-journal", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                connection = sqlite3.connect(path, timeout=10)
                connection.executescript(_DDL)
                cls._stamp(connection, root)  # unstamped, the new cache was never accepted
                connection.close()
        raise sqlite3.DatabaseError(f"cannot initialise the cache at {path}")

    def unlock(self) -> None:
        """Let other runs use the cache while this one only reads (a query after its
        refresh, for as long as a library user keeps it open): with the write-ahead log, each
        read sees a whole refresh, and another run's refresh commits whole or not at all."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def close(self) -> None:
        """Close without committing: what a run that dies or is interrupted leaves half done
        is rolled back, never kept (a refresh and a validation commit when complete)."""
        self.db.close()
        self.unlock()

    # -- refreshing ------------------------------------------------------------------------

    def _signature(self) -> str:
        """Modification times of the KB folder and its kind folders: a cheap change check."""
        parts = []
        for folder in [self.root, *sorted(p for p in self.root.iterdir() if p.is_dir())]:
            try:
                mtime = folder.stat().st_mtime_ns
            except OSError:
                mtime = 0
            parts.append(f"{printable_path(folder.name)}:{mtime}")  # SQLite needs UTF-8
        return "|".join(parts)

    def refresh(self, *, full: bool = True, debug: bool = False,
                progress: Callable[[int, int], None] | None = None,
                workers: int | None = None, queried: bool = True) -> None:
        """Bring the index up to date with the files.

        `full=False` is the query path: it skips the per-file stat when the KB is large and
        its folders are unchanged. When many files changed they are checked on every core
        (`workers` processes; default: the CPU count), with results identical to one core.
        `queried=False` leaves out what only queries read, for a throwaway index that only
        validates.
        """
        signature = self._signature()
        # the file count is stored with the signature: counting 100,000 rows takes a while
        if not full and self._meta("signature") == signature and (
                int(self._meta("files") or 0) > FULL_STAT_LIMIT or self._unchanged()):
            return
        try:
            self._refresh(signature, debug, progress, workers, queried)
        except BaseException:  # a crash or Ctrl-C: the index stays as the last refresh left it
            self.db.rollback()
            raise
        self.db.commit()

    def _refresh(self, signature: str, debug: bool, progress: Callable[[int, int], None] | None,
                 workers: int | None, queried: bool) -> None:
        """The refresh, in one transaction: the rows, the indexes and the stamps that say the
        index matches the files are committed together or not at all."""
        from ketakb.loader import discover

        self._tracking = self._meta("cross") is not None
        files, self.stray = discover(self.root)
        self.files = files
        self._started = time.time_ns()  # before any file is looked at (see `_racy`)
        racy = False
        known = {row[0]: row[1:] for row in self.db.execute(
            "SELECT path, size, mtime_ns, ctime_ns, inode, digest FROM files")}
        wanted = self._by_key = {self._key(f): f for f in files}
        jobs: list[_Job] = []
        stats: dict[str, os.stat_result | None] = {}
        present: list[os.stat_result] = []  # for the query path's stamp
        for key, record_file in wanted.items():
            st: os.stat_result | None
            try:
                st = os.stat(record_file.location)
            except OSError:
                st = None
            else:
                present.append(st)
            old = known.get(key)
            if st is not None and old is not None and _change_key(st) == old[:4]:
                continue
            racy |= st is not None and self._racy(st)
            stats[key] = st
            jobs.append((key, record_file.location, record_file.kind, record_file.display,
                         old[4] if old else None, debug, queried))
        removed = known.keys() - wanted.keys()
        if self._tracking and (len(jobs) + len(removed)) * SCOPE_SHARE > len(wanted):
            self._drop_cross()  # the next validation checks everything: noting costs more
        changed = bool(removed)
        for key in removed:
            self._forget(key)
        total, done = len(wanted), len(wanted) - len(jobs)
        if progress is not None and total:
            progress(done, total)
        self._next_row = self.db.execute("SELECT coalesce(max(rowid), 0) + 1 FROM files"
                                         ).fetchone()[0]
        # filling an empty index: its indexes are built once at the end, which is far cheaper
        # than updating them row by row; in the refresh's transaction, so an interrupted load
        # leaves the indexes as they were
        rebuild = self._drop_indexes(queried) if not known and len(jobs) >= PARALLEL_MIN else []
        batch = _Batch()
        with _rare_collections():
            for outcome in _run_jobs(jobs, workers):
                key = outcome[0]
                changed |= self._apply(outcome, stats[key], key in known, batch)
                done += 1
                if batch.size >= 512:
                    self._flush(batch)
                    batch = _Batch()
                if progress is not None:
                    progress(done, total)
            self._flush(batch)
        for statement in rebuild:
            self.db.execute(statement)
        meta = {"signature": signature, "files": str(len(wanted)),
                "paths": "\n".join(wanted) if len(wanted) <= FULL_STAT_LIMIT else "",
                # a file that cannot be stat-ed, or a racy one, leaves no stamp: queries look
                # at every file (and compare the racy ones' content)
                "stamp": _stamp(present) if len(present) == len(wanted) and not racy else ""}
        if changed or any(self._meta(key) != value for key, value in meta.items()):
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())

    def _drop_indexes(self, queried: bool) -> list[str]:
        """Drop the secondary indexes inside a new transaction; return how to recreate them
        (for a throwaway index that only validates, only those the checks use)."""
        if not self.db.in_transaction:
            self.db.execute("BEGIN")
        indexes = self.db.execute("SELECT name, sql FROM sqlite_master "
                                  "WHERE type = 'index' AND sql IS NOT NULL").fetchall()
        for name, _ in indexes:
            self.db.execute(f'DROP INDEX "{name}"')
        return [sql for name, sql in indexes if queried or name not in _QUERY_INDEXES]

    def _unchanged(self) -> bool:
        """Every file keeps its modification time and size (the folders' signature already
        matched, so none was added, removed or renamed): the query path then never loads the
        parser. The files' paths and their stamp are stored in one meta row each."""
        keys = (self._meta("paths") or "").split("\n")
        try:
            stats = list(map(os.stat, map(self._prefix.__add__, keys)))
        except OSError:
            return False
        return bool(keys[0]) and self._meta("stamp") == _stamp(stats)

    def _racy(self, st: os.stat_result) -> bool:
        """Whether the file may still change unseen (see RACY_NS). Only the change time
        counts: every change sets it to the clock's time, while a modification time can be
        set to anything, the future included."""
        margin = COARSE_RACY_NS if st.st_ctime_ns % 1_000_000_000 == 0 else RACY_NS
        return st.st_ctime_ns >= self._started - margin

    def _key(self, record_file: RecordFile) -> str:
        """The file's path inside the KB, with forward slashes: the same on every machine."""
        key = record_file.location[len(self._prefix):]
        return key if os.sep == "/" else key.replace(os.sep, "/")

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _forget(self, key: str) -> None:
        row = self.db.execute("SELECT rowid FROM files WHERE path = ?", (key,)).fetchone()
        if row is None:
            return
        if self._tracking:
            self._note_rows("= ?", (key,))
        self.db.execute("DELETE FROM files WHERE path = ?", (key,))
        for table in _BY_PATH:
            self.db.execute(f"DELETE FROM {table} WHERE path = ?", (key,))
        for table in _BY_ROWID:  # full-text rows are found by their rowid range, not path
            self.db.execute(f"DELETE FROM {table} WHERE rowid BETWEEN ? AND ?",
                            (row[0] << _SEARCH_BITS, ((row[0] + 1) << _SEARCH_BITS) - 1))

    def _drop_cross(self) -> None:
        """Stop keeping cross-record findings until the next validation computes them all."""
        for table in ("dirty_files", "dirty_ids", "dirty_pairs"):
            self.db.execute(f"DELETE FROM {table}")
        self.db.execute("DELETE FROM meta WHERE key = 'cross'")
        self._tracking = False

    def _note_rows(self, where: str, params: tuple[str, ...]) -> None:
        """Note the files `path {where}` as changed, with the ids their rows define and refer
        to and their claims' subject-object pairs: called before a file's rows are deleted
        (their old values) and before a scoped validation (the new ones)."""
        db = self.db
        db.execute(f"INSERT OR IGNORE INTO dirty_files SELECT path FROM files WHERE path {where}",
                   params)
        db.execute(f"""INSERT INTO dirty_ids
            SELECT id, 0 FROM records WHERE path {where} UNION ALL
            SELECT id, 0 FROM claims WHERE path {where} UNION ALL
            SELECT subject, 1 FROM claims WHERE path {where} UNION ALL
            SELECT object, 1 FROM claims WHERE path {where} UNION ALL
            SELECT source, 1 FROM evidence WHERE path {where} UNION ALL
            SELECT source, 1 FROM figures WHERE path {where}""", params * 6)
        db.execute(f"INSERT INTO dirty_pairs SELECT subject, object FROM claims WHERE path {where}",
                   params)

    def _apply(self, outcome: _Outcome, st: os.stat_result | None, known: bool,
               batch: _Batch) -> bool:
        """Store one checked file's outcome (rows go to `batch`). True if anything changed."""
        key, dig, kind, record_text, findings_text, derived = outcome
        stored = _change_key(st) if st and dig and not self._racy(st) else _RECHECK
        if isinstance(derived, str):  # same content as before: only the stat changed
            self.db.execute("UPDATE files SET size = ?, mtime_ns = ?, ctime_ns = ?, inode = ? "
                            "WHERE path = ?", (*stored, key))
            return False
        if known:
            self._flush(batch)  # keep the order of deletes and inserts
            batch.clear()
            self._forget(key)
        elif self._tracking:
            self.db.execute("INSERT OR IGNORE INTO dirty_files VALUES (?)", (key,))
        file_row = self._next_row
        self._next_row += 1
        batch.files.append((file_row, key, kind, *stored, dig, derived is not None,
                            record_text, findings_text))
        batch.size += 1
        if derived is not None:
            records, names, claims, evidence, figures, search = derived
            base = file_row << _SEARCH_BITS
            batch.records.append(records)
            batch.names += names
            batch.claims += claims
            batch.evidence += evidence
            batch.figures += figures
            for n, (text, *what) in enumerate(search, base):
                batch.search.append((n, text))
                batch.search_rows.append((n, *what))
        return True

    def _flush(self, batch: _Batch) -> None:
        db = self.db
        db.executemany("INSERT INTO files (rowid, path, kind, size, mtime_ns, ctime_ns, inode, "
                       "digest, valid, record, findings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       batch.files)
        db.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)", batch.records)
        db.executemany("INSERT INTO names VALUES (?, ?, ?)", batch.names)
        db.executemany("INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch.claims)
        db.executemany("INSERT INTO evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch.evidence)
        db.executemany("INSERT INTO figures VALUES (?, ?, ?, ?)", batch.figures)
        db.executemany("INSERT INTO search (rowid, text) VALUES (?, ?)", batch.search)
        db.executemany("INSERT INTO search_rows VALUES (?, ?, ?, ?)", batch.search_rows)

    # -- reading ---------------------------------------------------------------------------

    def display(self, key: str) -> str:
        """How the file at `key` is shown to the user (after a full refresh)."""
        return self._by_key[key].display

    def file_findings(self) -> list[Finding]:
        """The stray files' findings and each file's own, from the last full refresh."""
        findings = list(self.stray)
        for key, text in self.db.execute("SELECT path, findings FROM files "
                                         "WHERE findings <> '[]'"):  # as files_with_findings
            findings += _findings_from_rows(text, self.display(key))
        return findings

    def broken(self) -> dict[str, str]:
        """Id (the file's stem) → kind of each record that failed its own checks."""
        return {posixpath.splitext(posixpath.basename(key))[0]: kind for key, kind in
                self.db.execute("SELECT path, kind FROM files WHERE NOT valid")}

    def records(self) -> list[tuple[str, dict[str, Any]]]:
        """(kind, record) of every valid record, in file order, as the models accepted it."""
        return [(kind, load_json(text)) for kind, text in self.db.execute(
            "SELECT kind, record FROM files WHERE valid ORDER BY path")]

    def reader(self) -> sqlite3.Connection | None:
        """A second, read-only connection to the cache file, usable from another thread;
        None for an in-memory index (or when it cannot be opened)."""
        if self.path is None:
            return None
        try:
            return sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=10,
                                   check_same_thread=False)
        except sqlite3.Error:
            return None

    def cached_snapshots(self, files: list[str]) -> tuple[Snapshots, Stale, list[str]]:
        """Archived snapshots' normalised texts kept in the index, for the files unchanged
        since (same change key, as record files; None for a file that is not there), the
        (file, size, mtime) of the others, to be read again (`quotes.read_snapshots`), and
        the files that changed since the last run (those to read, and those now gone).

        Re-validating a large KB would otherwise read and normalise megabytes of unchanged
        snapshots on every run; a kept text is read from the index only when a quote needs it.
        """
        kept = {file: tuple(key) for file, *key in self.db.execute(
            "SELECT file, size, mtime_ns, ctime_ns, inode FROM archives")}
        self._snapshot_keys = {}
        texts = Snapshots(self.db)
        stale: Stale = []
        changed: list[str] = []
        for file in files:
            try:
                st = os.stat(file)
            except OSError:
                texts[file] = None
                if file in kept:
                    self.db.execute("DELETE FROM archives WHERE file = ?", (file,))
                    changed.append(file)
                continue
            if kept.get(file) != _change_key(st):
                self._snapshot_keys[file] = _RECHECK if self._racy(st) else _change_key(st)
                stale.append((file, st.st_size, st.st_mtime_ns))
                changed.append(file)
        return texts, stale, changed

    def store_snapshots(self, read: list[tuple[str, int, int, str | None]]
                        ) -> dict[str, str | None]:
        """Keep the snapshots just read (see `cached_snapshots`); return file → text."""
        self.db.executemany("INSERT OR REPLACE INTO archives VALUES (?, ?, ?, ?, ?, ?)",
                            [(file, *self._snapshot_keys[file], text)
                             for file, _, _, text in read if text is not None])
        return {file: text for file, _, _, text in read}

    # -- cross-record findings kept between validations ------------------------------------

    def cross_scope(self, settings: str, changed_ids: list[str]) -> bool:
        """Decide which cross-record findings the coming checks must compute.

        True: only those of the files in `temp.cross_scope`, the files whose findings the
        changes since the last validation can affect (the others are kept, `kept_cross`).
        False: all of them, because nothing is kept, the `settings` they were computed with
        differ (sources folder, displayed paths, whether unused records are reported), or
        the change reaches too many files. `changed_ids`: ids whose archived snapshot changed.

        A finding of a file depends on the file's own rows and on the rows elsewhere that
        define the ids it names, cite its records' ids, or state a claim on the same subject
        and object; so the scope holds the changed files, the files naming an id a changed
        file defined, the records a changed file referred to, and the claims on a pair a
        changed file's claims were on.
        """
        self._cross_settings = settings
        self._cross_scoped = False
        if not self.persistent or self._meta("cross") != settings:
            return False
        db = self.db
        self._note_rows("IN dirty_files", ())  # their new rows (the old ones were noted)
        db.executemany("INSERT INTO dirty_ids VALUES (?, 0)", [
            *((posixpath.splitext(posixpath.basename(key))[0],)  # a broken file's id
              for (key,) in db.execute("SELECT path FROM dirty_files").fetchall()),
            *((ident,) for ident in changed_ids)])
        db.executescript("""
            DROP TABLE IF EXISTS temp.cross_scope;
            CREATE TEMP TABLE cross_scope (path TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TEMP TABLE defined (id TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TEMP TABLE referenced (id TEXT PRIMARY KEY) WITHOUT ROWID;
            INSERT OR IGNORE INTO defined SELECT id FROM dirty_ids WHERE NOT referenced;
            INSERT OR IGNORE INTO referenced SELECT id FROM dirty_ids WHERE referenced;
            INSERT OR IGNORE INTO cross_scope
                SELECT path FROM dirty_files
                UNION SELECT path FROM records WHERE id IN defined
                UNION SELECT path FROM records WHERE id IN referenced
                UNION SELECT path FROM claims WHERE id IN defined
                UNION SELECT path FROM claims WHERE subject IN defined
                UNION SELECT path FROM claims WHERE object IN defined
                UNION SELECT path FROM evidence WHERE source IN defined
                UNION SELECT path FROM figures WHERE source IN defined
                UNION SELECT c.path FROM dirty_pairs p
                      JOIN claims c ON c.subject = p.subject AND c.object = p.object;
            DROP TABLE temp.defined;
            DROP TABLE temp.referenced;""")
        reached = db.execute("SELECT count(*) FROM temp.cross_scope").fetchone()[0]
        if reached * SCOPE_SHARE > len(self.files):
            db.execute("DROP TABLE temp.cross_scope")
            return False
        self._cross_scoped = True
        return True

    def kept_cross(self) -> list[Finding]:
        """The stored cross-record findings of the files outside the scope (see
        `cross_scope`): placed when they were found, and still true."""
        if not self._cross_scoped:
            return []
        return [finding for key, text in self.db.execute(
                    "SELECT path, findings FROM cross_findings "
                    "WHERE path NOT IN temp.cross_scope")
                for finding in _findings_from_rows(text, self.display(key))]

    def store_cross(self, findings: list[Finding]) -> None:
        """Keep the placed cross-record findings just computed, for the next validation;
        from now on, changes are noted against them."""
        if not self.persistent:
            return
        db = self.db
        if self._cross_scoped:
            db.execute("DELETE FROM cross_findings WHERE path IN temp.cross_scope")
            db.execute("DROP TABLE temp.cross_scope")
        else:
            db.execute("DELETE FROM cross_findings")
        by_file: dict[str, list[Finding]] = {}
        for finding in findings:
            by_file.setdefault(finding.file, []).append(finding)
        if by_file:
            key_of = {record_file.display: key for key, record_file in self._by_key.items()}
            db.executemany("INSERT INTO cross_findings VALUES (?, ?)",
                           [(key_of[file], _finding_rows(group))
                            for file, group in by_file.items()])
        self._drop_cross()
        db.execute("INSERT INTO meta VALUES ('cross', ?)", (self._cross_settings,))
        self._cross_scoped = False
        db.commit()  # with the snapshots stored during the checks

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        return self.db.execute(sql, params)
