"""The compiled index's storage: one SQLite file per KB, its tables, identity and freshness.

This module owns the table layout (`DDL`) and the rows that fill it, where the cache file
lives, its lock, its identity (schema, version, checker code) and recovery from damage, and
the change keys that say whether a file or a snapshot changed since it was stored. It reads
no YAML and knows no model: `ketakb.pipeline.build` discovers and checks the files and
hands it named rows, `ketakb.pipeline.scope` keeps the bookkeeping of what to recompute, and
the checks and queries read its tables.

For each record file the index keeps the file's size, modification time, change time and
inode number, and its content digest, with the result of checking that file on its own (the
record's values and its findings). From the valid records come the query tables (records,
names, claims, evidence and a full-text index). A refresh re-reads only files whose size,
times or inode changed, re-checks only those whose digest changed, and rebuilds nothing else.

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

import hashlib
import json
import operator
import os
import posixpath
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sized
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from ketakb import __version__
from ketakb.files import printable_path
from ketakb.findings import Finding

SCHEMA_VERSION = "7"
CACHE_ENV = "KETAKB_CACHE_DIR"
#: Above this many files a query trusts the folders' signature (files added, removed or
#: renamed) instead of stat-ing every file; `ketakb validate` always checks every file.
FULL_STAT_LIMIT = 20_000

#: The full-text tokenizer: stems English words, ignores case and accents.
TOKENIZE = "porter unicode61 remove_diacritics 2"
DDL = f"""
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
-- a source's design, species (comma-joined), study, standing and the source superseding it
-- are what the certainty of the claims citing it is computed from (`ketakb.certainty`)
CREATE TABLE records (
    id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, type TEXT, archive TEXT,
    path TEXT NOT NULL, json TEXT, design TEXT, species TEXT, study TEXT, standing TEXT,
    standing_by TEXT
);
CREATE INDEX records_id ON records (id);
CREATE INDEX records_standing_by ON records (standing_by) WHERE standing_by IS NOT NULL;
CREATE INDEX records_kind ON records (kind, id);
CREATE INDEX records_path ON records (path);
CREATE TABLE names (key TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL);
CREATE INDEX names_key ON names (key);
CREATE INDEX names_path ON names (path);
-- `searches`: how many literature searches the claim records
CREATE TABLE claims (
    id TEXT NOT NULL, host TEXT NOT NULL, subject TEXT NOT NULL, predicate TEXT NOT NULL,
    object TEXT NOT NULL, status TEXT NOT NULL, context TEXT NOT NULL, path TEXT NOT NULL,
    pos INTEGER NOT NULL, json TEXT, searches INTEGER NOT NULL, successor TEXT,
    supersedes TEXT
);
CREATE INDEX claims_successor ON claims (successor) WHERE successor IS NOT NULL;
CREATE INDEX claims_supersedes ON claims (supersedes) WHERE supersedes IS NOT NULL;
CREATE INDEX claims_id ON claims (id);
CREATE INDEX claims_subject ON claims (subject, object);
CREATE INDEX claims_object ON claims (object);
CREATE INDEX claims_host ON claims (host);
CREATE INDEX claims_path ON claims (path);
-- clustered by claim (no rowid), so checks that look at all of a claim's evidence read it
-- in one sequential pass; the claim's status, predicate and system (human, animal or
-- in-vitro, as `ketakb.certainty` reads its context) are repeated here for the same reason;
-- `design` and `species` (comma-joined) narrow the source's for this item
CREATE TABLE evidence (
    path TEXT NOT NULL, claim_pos INTEGER NOT NULL, pos INTEGER NOT NULL, claim TEXT NOT NULL,
    status TEXT NOT NULL, predicate TEXT NOT NULL, system TEXT NOT NULL, source TEXT NOT NULL,
    stance TEXT NOT NULL,
    quote_normalised TEXT, design TEXT, species TEXT,
    PRIMARY KEY (path, claim_pos, pos)
) WITHOUT ROWID;
CREATE INDEX evidence_claim ON evidence (claim);
CREATE INDEX evidence_source ON evidence (source);
-- a figure's measure and, for binding measures, its p-value (pKi …), which the figures view
-- filters and sorts by
CREATE TABLE figures (
    path TEXT NOT NULL, claim_pos INTEGER NOT NULL, pos INTEGER NOT NULL, source TEXT NOT NULL,
    measure TEXT NOT NULL, potency REAL,
    PRIMARY KEY (path, claim_pos, pos)
) WITHOUT ROWID;
CREATE INDEX figures_source ON figures (source);
-- agents' regulatory actions: what `timeline` lists (json, in the documented shape) and the
-- ids the cross-record checks resolve (source, indication)
CREATE TABLE regulatory (
    path TEXT NOT NULL, pos INTEGER NOT NULL, agent TEXT NOT NULL, date TEXT NOT NULL,
    agency TEXT NOT NULL, jurisdiction TEXT NOT NULL, product TEXT NOT NULL,
    source TEXT NOT NULL, indication TEXT, quote_normalised TEXT, json TEXT,
    PRIMARY KEY (path, pos)
) WITHOUT ROWID;
CREATE INDEX regulatory_source ON regulatory (source);
CREATE INDEX regulatory_indication ON regulatory (indication);
-- a source's identifiers (DOI, PMID, PMCID) as `scheme:value` keys, case-folded: two sources
-- with one key are one document recorded twice (KB053)
CREATE TABLE identifiers (key TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL);
CREATE INDEX identifiers_key ON identifiers (key);
CREATE INDEX identifiers_path ON identifiers (path);
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
    for statement in (part.strip() for part in re.sub(r"--[^\n]*\n", "", DDL).split(";"))
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
QUERY_INDEXES = frozenset({"files_stat", "records_kind", "records_path", "names_key",
                           "names_path", "claims_host", "claims_path", "evidence_claim"})
_BY_PATH = ("records", "names", "claims", "evidence", "figures", "regulatory", "identifiers")
_BY_ROWID = ("search", "search_rows")
#: Full-text rows of the file with rowid r get rowids r << 20 ... (r + 1) << 20 - 1, so a
#: changed file's rows are deleted by range (the table cannot index its path column).
_SEARCH_BITS = 20

# -- rows --------------------------------------------------------------------------------------
# Table rows are plain tuples in the order of their table's columns, as `executemany` takes
# them: a named tuple per row would cost 0.2 s to unpickle from the workers at 10,000 records.

#: `records`: id, kind, name, type (sources), archive, path, json (when queried), and of
#: sources: design, species (comma-joined), study, standing status, superseding source.
RecordRow = tuple[str, str, str, "str | None", "str | None", str, "str | None", "str | None",
                  "str | None", "str | None", "str | None", "str | None"]
#: `names`: case-folded name, id, path.
NameRow = tuple[str, str, str]
#: `claims`: id, host, subject, predicate, object, status, context key, path, position, json,
#: number of searches, successor, supersedes.
ClaimRow = tuple[str, str, str, str, str, str, str, str, int, "str | None", int, "str | None",
                 "str | None"]
#: `evidence`: path, claim position, position, claim id, claim status, claim predicate, claim
#: system, source, stance, normalised quote, design, species (comma-joined).
EvidenceRow = tuple[str, int, int, str, str, str, str, str, str, "str | None", "str | None",
                    "str | None"]
#: `figures`: path, claim position, position, source, measure, potency (`units.potency`).
FigureRow = tuple[str, int, int, str, str, "float | None"]
#: `regulatory`: path, position, agent, date, agency, jurisdiction, product, source,
#: indication, normalised quote, json (when queried).
RegulatoryRow = tuple[str, int, str, str, str, str, str, str, "str | None", "str | None",
                      "str | None"]
#: `identifiers`: `scheme:value` key, source id, path.
IdentifierRow = tuple[str, str, str]
#: A full-text row: text, id, kind, field (`search` and `search_rows`; the rowid is the
#: store's to give).
SearchRow = tuple[str, str, str, str]
#: `files`: rowid, path, kind, change key (size, mtime, ctime, inode), digest, valid, record
#: JSON (when queried), findings JSON.
FileRow = tuple[int, str, str, int, int, int, int, str, bool, "str | None", str]
#: A file's size, modification time, change time and inode (see `change_key`).
ChangeKey = tuple[int, int, int, int]
#: What a file's change key is stored as when its content must be compared next time.
RECHECK: ChangeKey = (-1, -1, -1, -1)


class RecordRows(NamedTuple):
    """The table rows of one valid record."""

    record: RecordRow
    names: list[NameRow]
    claims: list[ClaimRow]
    evidence: list[EvidenceRow]
    figures: list[FigureRow]
    search: list[SearchRow]
    regulatory: list[RegulatoryRow]
    identifiers: list[IdentifierRow]


class Batch:
    """Rows waiting to be inserted together (one executemany per table)."""

    def __init__(self) -> None:
        self.size = 0
        self.files: list[FileRow] = []
        self.records: list[RecordRow] = []
        self.names: list[NameRow] = []
        self.claims: list[ClaimRow] = []
        self.evidence: list[EvidenceRow] = []
        self.figures: list[FigureRow] = []
        self.regulatory: list[RegulatoryRow] = []
        self.identifiers: list[IdentifierRow] = []
        self.search: list[tuple[int, str]] = []
        self.search_rows: list[tuple[int, str, str, str]] = []

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]


# -- identity ----------------------------------------------------------------------------------


def checker_fingerprint() -> str:
    """Size and mtime of the modules whose code decides a file's findings and table rows.

    Part of the cache's identity, so a changed checker (a new rule, a reworded message, a new
    column) never serves results computed by the old one, even within one version number.
    """
    package = Path(__file__).resolve().parent.parent
    parts = []
    for name in ("certainty", "findings", "models", "shapes", "units", "vocab",
                 "pipeline/build", "pipeline/checks", "pipeline/loader", "pipeline/parse",
                 "pipeline/quotes", "pipeline/scope", "pipeline/store", "pipeline/validation"):
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


_Value = TypeVar("_Value")
#: Most values one `IN (…)` list is given (old SQLite builds allow 999 parameters a query,
#: and a query may hold two such lists).
CHUNK = 400


def chunks(values: list[_Value]) -> Iterator[list[_Value]]:
    """`values` in lists short enough for one `IN (placeholders)`."""
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def finding_rows(findings: list[Finding]) -> str:
    """Findings without their file name, which depends on the working directory."""
    if not findings:  # most files: no need to run the encoder
        return "[]"
    return json.dumps([[f.line, f.column, f.code, f.message, f.hint, list(f.loc)]
                       for f in findings], ensure_ascii=False)


def findings_from_rows(text: str, file: str) -> list[Finding]:
    try:
        return [Finding(file, line, column, code, message, hint, tuple(loc))
                for line, column, code, message, hint, loc in load_json(text)]
    except (TypeError, ValueError) as err:  # valid JSON of another shape
        raise DamagedCache(f"unreadable findings in the cache: {err}") from None


# -- freshness ---------------------------------------------------------------------------------

_MTIME = operator.attrgetter("st_mtime_ns")
_CTIME = operator.attrgetter("st_ctime_ns")
_INODE = operator.attrgetter("st_ino")
_SIZE = operator.attrgetter("st_size")


def change_key(st: os.stat_result) -> ChangeKey:
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


def using_store(root: Path, use_cache: bool, work: Callable[[Store], _T]) -> _T:
    """`work` done on the KB's store, closed after. When the cache file cannot be read back
    (damage shows only on reading), the work is done again on a cache rebuilt from scratch."""
    store = Store.open(root, use_cache=use_cache)
    persistent = store.persistent
    try:
        return work(store)
    except (DamagedCache, sqlite3.DatabaseError):
        if not persistent:  # no cache file to blame
            raise
    finally:
        store.close()
    store = Store.open(root, fresh=True)
    try:
        return work(store)
    finally:
        store.close()


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


class Store:
    """An open compiled index of one KB folder: the connection, and what is read and written
    through it."""

    def __init__(self, root: Path, connection: sqlite3.Connection, path: Path | None,
                 lock: int | None = None) -> None:
        self.root = root
        self.db = connection
        self.path = path  # the cache file; None for an in-memory index
        self._lock = lock  # the cache's lock file, held until `close`
        self._prefix = os.path.join(os.fspath(root), "")  # of every file's location
        self._started = 0  # when the last refresh began
        self._next_row = 1  # the rowid of the next file stored
        #: change keys of the snapshots to read again, stored with their texts
        self._snapshot_keys: dict[str, ChangeKey] = {}

    @property
    def persistent(self) -> bool:
        return self.path is not None

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, root: Path, *, use_cache: bool = True, fresh: bool = False) -> Store:
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
        connection.executescript(DDL)
        cls._identify(connection, root)
        return cls(root, connection, None)

    @staticmethod
    def _identify(connection: sqlite3.Connection, root: Path) -> None:
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
                connection.executescript(DDL)
                cls._identify(connection, root)  # unstamped, the new cache was never accepted
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

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # -- freshness -------------------------------------------------------------------------

    def signature(self) -> str:
        """Modification times of the KB folder and its kind folders: a cheap change check."""
        parts = []
        for folder in [self.root, *sorted(p for p in self.root.iterdir() if p.is_dir())]:
            try:
                mtime = folder.stat().st_mtime_ns
            except OSError:
                mtime = 0
            parts.append(f"{printable_path(folder.name)}:{mtime}")  # SQLite needs UTF-8
        return "|".join(parts)

    def current(self, signature: str) -> bool:
        """Whether the query path may skip the refresh: the folders have the `signature` of
        the last refresh, and the KB is too large to stat every file or none changed."""
        # the file count is stored with the signature: counting 100,000 rows takes a while
        return self.meta("signature") == signature and (
            int(self.meta("files") or 0) > FULL_STAT_LIMIT or self._unchanged())

    def _unchanged(self) -> bool:
        """Every file keeps its modification time and size (the folders' signature already
        matched, so none was added, removed or renamed): the query path then never loads the
        parser. The files' paths and their stamp are stored in one meta row each."""
        keys = (self.meta("paths") or "").split("\n")
        try:
            stats = list(map(os.stat, map(self._prefix.__add__, keys)))
        except OSError:
            return False
        return bool(keys[0]) and self.meta("stamp") == _stamp(stats)

    def start_refresh(self) -> None:
        """Note when a refresh begins, before any file is looked at (see `racy`)."""
        self._started = time.time_ns()

    def racy(self, st: os.stat_result) -> bool:
        """Whether the file may still change unseen (see RACY_NS). Only the change time
        counts: every change sets it to the clock's time, while a modification time can be
        set to anything, the future included."""
        margin = COARSE_RACY_NS if st.st_ctime_ns % 1_000_000_000 == 0 else RACY_NS
        return st.st_ctime_ns >= self._started - margin

    def key(self, location: str) -> str:
        """A file's path inside the KB, with forward slashes: the same on every machine."""
        key = location[len(self._prefix):]
        return key if os.sep == "/" else key.replace(os.sep, "/")

    def mark_refreshed(self, signature: str, keys: list[str],
                       present: list[os.stat_result] | None, changed: bool) -> None:
        """Store what the query path compares (see `current`): the folders' `signature`, the
        files' `keys` and the stamp of their change keys (`present`: None when a file cannot
        be stat-ed or is racy, which leaves no stamp, so queries look at every file)."""
        meta = {"signature": signature, "files": str(len(keys)),
                "paths": "\n".join(keys) if len(keys) <= FULL_STAT_LIMIT else "",
                "stamp": _stamp(present) if present is not None else ""}
        if changed or any(self.meta(key) != value for key, value in meta.items()):
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())

    # -- writing file rows -----------------------------------------------------------------

    def known(self) -> dict[str, tuple[int, int, int, int, str]]:
        """Path → stored change key and digest of every file in the index."""
        return {row[0]: row[1:] for row in self.db.execute(
            "SELECT path, size, mtime_ns, ctime_ns, inode, digest FROM files")}

    def stored_key(self, st: os.stat_result | None, file_digest: str) -> ChangeKey:
        """The change key to store for a file just read: RECHECK when it could not be stat-ed
        or read, or may still change unseen."""
        return change_key(st) if st and file_digest and not self.racy(st) else RECHECK

    def restamp(self, key: str, stored: ChangeKey) -> None:
        """A file with the same content as before: only its change key changed."""
        self.db.execute("UPDATE files SET size = ?, mtime_ns = ?, ctime_ns = ?, inode = ? "
                        "WHERE path = ?", (*stored, key))

    def begin_load(self) -> None:
        """Number the rows of the files stored from now on after the last one stored."""
        self._next_row = self.db.execute("SELECT coalesce(max(rowid), 0) + 1 FROM files"
                                         ).fetchone()[0]

    def add(self, batch: Batch, key: str, kind: str, stored: ChangeKey, file_digest: str,
            record: str | None, findings: str, rows: RecordRows | None) -> None:
        """Queue one checked file's row, and its record's rows if valid, in `batch`."""
        file_row = self._next_row
        self._next_row += 1
        batch.files.append((file_row, key, kind, *stored, file_digest, rows is not None,
                            record, findings))
        batch.size += 1
        if rows is not None:
            base = file_row << _SEARCH_BITS
            batch.records.append(rows.record)
            batch.names += rows.names
            batch.claims += rows.claims
            batch.evidence += rows.evidence
            batch.figures += rows.figures
            batch.regulatory += rows.regulatory
            batch.identifiers += rows.identifiers
            for n, (text, ident, kind_of_row, field) in enumerate(rows.search, base):
                batch.search.append((n, text))
                batch.search_rows.append((n, ident, kind_of_row, field))

    def write(self, batch: Batch) -> None:
        db = self.db
        db.executemany("INSERT INTO files (rowid, path, kind, size, mtime_ns, ctime_ns, inode, "
                       "digest, valid, record, findings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       batch.files)
        db.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       batch.records)
        db.executemany("INSERT INTO names VALUES (?, ?, ?)", batch.names)
        db.executemany("INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       batch.claims)
        db.executemany("INSERT INTO evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       batch.evidence)
        db.executemany("INSERT INTO figures VALUES (?, ?, ?, ?, ?, ?)", batch.figures)
        db.executemany("INSERT INTO regulatory VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       batch.regulatory)
        db.executemany("INSERT INTO identifiers VALUES (?, ?, ?)", batch.identifiers)
        db.executemany("INSERT INTO search (rowid, text) VALUES (?, ?)", batch.search)
        db.executemany("INSERT INTO search_rows VALUES (?, ?, ?, ?)", batch.search_rows)

    def forget(self, key: str) -> None:
        """Delete a file's rows, and its record's."""
        row = self.db.execute("SELECT rowid FROM files WHERE path = ?", (key,)).fetchone()
        if row is None:
            return
        self.db.execute("DELETE FROM files WHERE path = ?", (key,))
        for table in _BY_PATH:
            self.db.execute(f"DELETE FROM {table} WHERE path = ?", (key,))
        for table in _BY_ROWID:  # full-text rows are found by their rowid range, not path
            self.db.execute(f"DELETE FROM {table} WHERE rowid BETWEEN ? AND ?",
                            (row[0] << _SEARCH_BITS, ((row[0] + 1) << _SEARCH_BITS) - 1))

    def drop_indexes(self, queried: bool) -> list[str]:
        """Drop the secondary indexes inside a new transaction; return how to recreate them
        (for a throwaway index that only validates, only those the checks use)."""
        if not self.db.in_transaction:
            self.db.execute("BEGIN")
        indexes = self.db.execute("SELECT name, sql FROM sqlite_master "
                                  "WHERE type = 'index' AND sql IS NOT NULL").fetchall()
        for name, _ in indexes:
            self.db.execute(f'DROP INDEX "{name}"')
        return [sql for name, sql in indexes if queried or name not in QUERY_INDEXES]

    # -- reading ---------------------------------------------------------------------------

    def file_findings(self, display: Callable[[str], str]) -> list[Finding]:
        """Each file's own findings, from the last full refresh, under its `display` name."""
        findings: list[Finding] = []
        for key, text in self.db.execute("SELECT path, findings FROM files "
                                         "WHERE findings <> '[]'"):  # as files_with_findings
            findings += findings_from_rows(text, display(key))
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

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        return self.db.execute(sql, params)

    # -- archived snapshots ----------------------------------------------------------------

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
            if kept.get(file) != change_key(st):
                self._snapshot_keys[file] = RECHECK if self.racy(st) else change_key(st)
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
