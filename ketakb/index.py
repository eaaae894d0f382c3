"""The compiled index: one SQLite file per KB that serves both queries and re-validation.

For each record file it keeps the file's size, modification time and content digest with the
result of checking that file on its own (the record's values and its findings). From the valid
records it derives the query tables (records, names, claims, evidence and a full-text index).
A refresh re-reads only files whose size or modification time changed, re-checks only those
whose digest changed, and rebuilds nothing else.

The file lives in the user's cache directory (never inside the KB). A corrupt, foreign or
outdated cache is detected and rebuilt; an unwritable one is replaced by an in-memory index.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ketakb import __version__
from ketakb.findings import Finding
from ketakb.loader import FileResult, RecordFile, check_bytes, discover, read_file
from ketakb.shapes import claim_json, record_json

SCHEMA_VERSION = "1"
CACHE_ENV = "KETAKB_CACHE_DIR"
#: Above this many files a query trusts the folders' signature (files added, removed or
#: renamed) instead of stat-ing every file; `ketakb validate` always checks every file.
FULL_STAT_LIMIT = 20_000

_DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    path TEXT PRIMARY KEY, kind TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, digest TEXT NOT NULL, record TEXT, findings TEXT NOT NULL
);
CREATE TABLE records (
    id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, summary TEXT,
    path TEXT NOT NULL, json TEXT NOT NULL
);
CREATE INDEX records_id ON records (id);
CREATE INDEX records_kind ON records (kind, id);
CREATE INDEX records_path ON records (path);
CREATE TABLE names (key TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL);
CREATE INDEX names_key ON names (key);
CREATE INDEX names_path ON names (path);
CREATE TABLE claims (
    id TEXT NOT NULL, host TEXT NOT NULL, subject TEXT NOT NULL, predicate TEXT NOT NULL,
    object TEXT NOT NULL, status TEXT NOT NULL, path TEXT NOT NULL, json TEXT NOT NULL
);
CREATE INDEX claims_id ON claims (id);
CREATE INDEX claims_subject ON claims (subject);
CREATE INDEX claims_object ON claims (object);
CREATE INDEX claims_path ON claims (path);
CREATE TABLE evidence (
    claim TEXT NOT NULL, source TEXT NOT NULL, stance TEXT NOT NULL, quote TEXT,
    path TEXT NOT NULL
);
CREATE INDEX evidence_claim ON evidence (claim);
CREATE INDEX evidence_source ON evidence (source);
CREATE INDEX evidence_path ON evidence (path);
CREATE VIRTUAL TABLE search USING fts5 (
    text, id UNINDEXED, kind UNINDEXED, field UNINDEXED, path UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
"""
_DERIVED = ("records", "names", "claims", "evidence", "search")


def cache_dir() -> Path:
    """$KETAKB_CACHE_DIR, else the XDG cache folder (~/.cache/ketakb)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ketakb"


def cache_path(root: Path) -> Path:
    """One cache file per KB folder, named by a digest of its absolute path."""
    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return cache_dir() / f"index-{key}.sqlite"


def digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


@dataclass(frozen=True)
class _Stat:
    size: int
    mtime_ns: int


def _stat(path: Path) -> _Stat | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return _Stat(st.st_size, st.st_mtime_ns)


def _finding_rows(findings: list[Finding]) -> str:
    """Findings without their file name, which depends on the working directory."""
    return json.dumps([[f.line, f.column, f.code, f.message, f.hint, list(f.loc)]
                       for f in findings], ensure_ascii=False)


def _findings_from_rows(text: str, file: str) -> list[Finding]:
    return [Finding(file, line, column, code, message, hint, tuple(loc))
            for line, column, code, message, hint, loc in json.loads(text)]


class Index:
    """An open compiled index of one KB folder."""

    def __init__(self, root: Path, connection: sqlite3.Connection, persistent: bool) -> None:
        self.root = root
        self.db = connection
        self.persistent = persistent
        self.stray: list[Finding] = []
        self.files: list[RecordFile] = []

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, root: Path, *, use_cache: bool = True) -> Index:
        """Open (or create) the KB's cache; fall back to memory when it cannot be used."""
        if use_cache:
            path = cache_path(root)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                connection = cls._connect(path)
                return cls(root, connection, persistent=True)
            except (OSError, sqlite3.Error):
                pass
        connection = sqlite3.connect(":memory:")
        connection.executescript(_DDL)
        cls._stamp(connection, root)
        return cls(root, connection, persistent=False)

    @staticmethod
    def _stamp(connection: sqlite3.Connection, root: Path) -> None:
        connection.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("schema", SCHEMA_VERSION), ("version", __version__), ("root", str(root.resolve()))])
        connection.commit()

    @classmethod
    def _connect(cls, path: Path) -> sqlite3.Connection:
        """A usable cache connection: a cache that is corrupt, foreign or old is rebuilt."""
        for attempt in range(2):
            connection = sqlite3.connect(path, timeout=10)
            try:
                meta = dict(connection.execute("SELECT key, value FROM meta"))
                if meta.get("schema") == SCHEMA_VERSION and meta.get("version") == __version__:
                    return connection
            except sqlite3.DatabaseError:
                pass
            connection.close()
            if attempt == 0:
                for suffix in ("", "-journal", "-wal"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                connection = sqlite3.connect(path, timeout=10)
                connection.executescript(_DDL)
                connection.close()
        raise sqlite3.DatabaseError(f"cannot initialise the cache at {path}")

    def close(self) -> None:
        self.db.close()

    # -- refreshing ------------------------------------------------------------------------

    def _signature(self) -> str:
        """Modification times of the KB folder and its kind folders: a cheap change check."""
        parts = []
        for folder in [self.root, *sorted(p for p in self.root.iterdir() if p.is_dir())]:
            st = _stat(folder)
            parts.append(f"{folder.name}:{st.mtime_ns if st else 0}")
        return "|".join(parts)

    def refresh(self, *, full: bool = True, debug: bool = False,
                progress: Callable[[int, int], None] | None = None) -> list[FileResult]:
        """Bring the index up to date with the files; return every file's result.

        `full=False` is the query path: it skips the per-file stat when the KB is large and
        its folders are unchanged.
        """
        signature = self._signature()
        if not full and self._meta("signature") == signature:
            count = self.db.execute("SELECT count(*) FROM files").fetchone()[0]
            if count > FULL_STAT_LIMIT:
                return []
        files, self.stray = discover(self.root)
        self.files = files
        known = {row[0]: row[1:] for row in self.db.execute(
            "SELECT path, size, mtime_ns, digest FROM files")}
        wanted = {self._key(f): f for f in files}
        changed = False
        for key in set(known) - set(wanted):
            self._forget(key)
            changed = True
        for n, (key, record_file) in enumerate(wanted.items(), 1):
            if progress is not None:
                progress(n, len(wanted))
            st = _stat(record_file.path)
            old = known.get(key)
            if st is not None and old is not None and (st.size, st.mtime_ns) == old[:2]:
                continue
            changed |= self._update(key, record_file, st, old[2] if old else None, debug)
        if changed or self._meta("signature") != signature:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('signature', ?)", (signature,))
            self.db.commit()
        return [] if not full else self.results(files)

    def _key(self, record_file: RecordFile) -> str:
        return record_file.path.relative_to(self.root).as_posix()

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _forget(self, key: str) -> None:
        self.db.execute("DELETE FROM files WHERE path = ?", (key,))
        for table in _DERIVED:
            self.db.execute(f"DELETE FROM {table} WHERE path = ?", (key,))

    def _update(self, key: str, record_file: RecordFile, st: _Stat | None,
                old_digest: str | None, debug: bool) -> bool:
        """Re-read one file; re-check it only if its content changed. True if anything did."""
        raw = read_file(record_file)
        size, mtime = (st.size, st.mtime_ns) if st else (0, 0)
        if isinstance(raw, Finding):
            result = FileResult(record_file.display, record_file.kind, None, [raw])
            self._store(key, result, size, mtime, "")
            return True
        new_digest = digest(raw)
        if new_digest == old_digest:
            self.db.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?",
                            (size, mtime, key))
            return False
        result = check_bytes(record_file, raw, debug=debug)
        cacheable = not any(f.code == "KB099" for f in result.findings)
        self._store(key, result, size, mtime, new_digest if cacheable else "")
        return True

    def _store(self, key: str, result: FileResult, size: int, mtime: int, dig: str) -> None:
        self._forget(key)
        record = result.record
        self.db.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)", (
            key, result.kind, size, mtime, dig,
            None if record is None else json.dumps(record, ensure_ascii=False),
            _finding_rows(result.findings)))
        if record is not None:
            self._derive(key, result.kind, record)

    def _derive(self, key: str, kind: str, record: dict[str, Any]) -> None:
        """The query rows of one valid record."""
        ident = record["id"]
        name = record.get("name") or record.get("title") or ident
        self.db.execute("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)", (
            ident, kind, name, record.get("summary"), key,
            json.dumps(record_json(record, kind), ensure_ascii=False)))
        keys = {ident, name, *record.get("synonyms", ())}
        self.db.executemany("INSERT INTO names VALUES (?, ?, ?)",
                            [(k.casefold(), ident, key) for k in keys])
        texts = [(name, "name"), *((s, "synonym") for s in record.get("synonyms", ())),
                 (record.get("summary"), "summary")]
        self.db.executemany("INSERT INTO search VALUES (?, ?, ?, ?, ?)",
                            [(t, ident, kind, f, key) for t, f in texts if t])
        for claim in record.get("claims", ()):
            self.db.execute("INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (
                claim["id"], ident, claim["subject"], claim["predicate"], claim["object"],
                claim["status"], key, json.dumps(claim_json(claim, ident), ensure_ascii=False)))
            self.db.execute("INSERT INTO search VALUES (?, ?, 'claim', 'statement', ?)",
                            (claim["statement"], claim["id"], key))
            for evidence in claim["evidence"]:
                self.db.execute("INSERT INTO evidence VALUES (?, ?, ?, ?, ?)", (
                    claim["id"], evidence["source"], evidence["stance"], evidence.get("quote"),
                    key))
                if evidence.get("quote"):
                    self.db.execute("INSERT INTO search VALUES (?, ?, 'claim', 'quote', ?)",
                                    (evidence["quote"], claim["id"], key))

    def results(self, files: list[RecordFile]) -> list[FileResult]:
        """Each file's stored result, in the order of `files`."""
        rows = {path: (kind, record, findings) for path, kind, record, findings in
                self.db.execute("SELECT path, kind, record, findings FROM files")}
        results = []
        for record_file in files:
            kind, record, findings = rows[self._key(record_file)]
            results.append(FileResult(record_file.display, kind,
                                      None if record is None else json.loads(record),
                                      _findings_from_rows(findings, record_file.display)))
        return results

    # -- reading ---------------------------------------------------------------------------

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        return self.db.execute(sql, params)
