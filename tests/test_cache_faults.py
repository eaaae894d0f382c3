"""Whatever happens to the cache — a run that dies or is interrupted half-way, a damaged or
foreign file, another run at the same time, an edit that keeps size and modification time —
a cached run answers exactly what a run without the cache answers."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ketakb.pipeline import build, store
from ketakb.pipeline.build import refresh
from ketakb.pipeline.store import Store, cache_path
from ketakb.pipeline.validation import validate_kb
from ketakb.query.queries import KnowledgeBase
from tests.conftest import ARCHIVES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import generate


class _Faulty:
    """A connection that raises `error` when a statement starting with `prefix` is run: a
    crash or a Ctrl-C landing between two inserts of one refresh."""

    def __init__(self, connection: sqlite3.Connection, prefix: str,
                 error: BaseException) -> None:
        self._connection = connection
        self._prefix = prefix
        self._error = error

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        if sql.startswith(self._prefix):
            raise self._error
        return self._connection.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def _break_on(monkeypatch: pytest.MonkeyPatch, prefix: str, error: BaseException) -> None:
    """Every index opened from now on runs on a `_Faulty` connection."""
    real = Store.__init__

    def faulty(self: Store, root: Path, connection: sqlite3.Connection,
               path: Path | None, *args: Any) -> None:
        real(self, root, _Faulty(connection, prefix, error), path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "__init__", faulty)


def _answer(root: Path, use_cache: bool) -> tuple[list[tuple[object, ...]], int, int]:
    report = validate_kb(root, sources_dir=ARCHIVES, use_cache=use_cache)
    return ([(f.file, f.line, f.column, f.code, f.message) for f in report.findings],
            report.records, report.claims)


def _queried(root: Path, use_cache: bool) -> tuple[dict[str, Any], int]:
    with KnowledgeBase.open(root, use_cache=use_cache) as kb:
        return kb.stats(), len(kb.claims())


def _indexes(connection: sqlite3.Connection) -> set[str]:
    return {name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}


def _expected_indexes() -> set[str]:
    reference = sqlite3.connect(":memory:")
    reference.executescript(store.DDL)
    return _indexes(reference)


def test_a_crash_in_the_middle_of_a_refresh_leaves_nothing_behind(
        kb_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that dies between storing a file's row and its claims' rows: the next cached run
    must not trust the half-stored files (it used to miss their claims for good)."""
    expected = _answer(kb_copy, False)
    with monkeypatch.context() as patch:
        _break_on(patch, "INSERT INTO claims", RuntimeError("a bad value"))
        with pytest.raises(RuntimeError):
            validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert _answer(kb_copy, True) == expected
    assert _queried(kb_copy, True) == _queried(kb_copy, False)


def test_an_internal_error_in_one_file_is_not_kept(kb_copy: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A checker bug on one file (KB099): once fixed, the next cached run and queries answer
    what runs without the cache answer."""
    from ketakb.pipeline import loader

    real = loader._check_bytes

    def explode(record_file: loader.RecordFile, raw: bytes) -> loader.FileResult:
        if record_file.path.stem == "ketamine":
            raise RuntimeError("boom")
        return real(record_file, raw)

    with monkeypatch.context() as patch:
        patch.setattr(loader, "_check_bytes", explode)
        assert "KB099" in {finding[3] for finding in _answer(kb_copy, True)[0]}
    assert _answer(kb_copy, True) == _answer(kb_copy, False)
    assert _queried(kb_copy, True) == _queried(kb_copy, False)


def test_an_interrupted_bulk_load_keeps_the_indexes(
        kb_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C during a cold run, after the bulk load dropped the secondary indexes: the next
    run has every index and the answer of a run without the cache."""
    expected = _answer(kb_copy, False)
    monkeypatch.setattr(build, "PARALLEL_MIN", 1)
    with monkeypatch.context() as patch:
        _break_on(patch, "INSERT INTO claims", KeyboardInterrupt())
        with pytest.raises(KeyboardInterrupt):
            validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert _answer(kb_copy, True) == expected
    with sqlite3.connect(cache_path(kb_copy)) as connection:
        assert _indexes(connection) == _expected_indexes()
    assert _queried(kb_copy, True) == _queried(kb_copy, False)



def _forge(path: Path, sql: str) -> None:
    """Make the cache at `path` a file that passes the version checks but holds `sql`."""
    with sqlite3.connect(path) as connection:
        meta = connection.execute("SELECT key, value FROM meta").fetchall()
    path.unlink()
    with sqlite3.connect(path) as connection:
        connection.executescript(sql)
        connection.executemany("INSERT INTO meta VALUES (?, ?)", meta)


@pytest.mark.parametrize("sql", [
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    # every table, a column short
    store.DDL.replace("status TEXT NOT NULL, context", "context"),
    # every table, an index short
    store.DDL.replace("CREATE INDEX claims_subject ON claims (subject, object);", ""),
])
def test_a_foreign_schema_is_rebuilt(kb_copy: Path, sql: str) -> None:
    """A cache file with the right name and versions but other tables, columns or indexes
    (it used to end in `OperationalError: no such table`)."""
    expected = _answer(kb_copy, False)
    validate_kb(kb_copy, sources_dir=ARCHIVES)
    _forge(cache_path(kb_copy), sql)
    assert _answer(kb_copy, True) == expected
    assert _queried(kb_copy, True) == _queried(kb_copy, False)
    with sqlite3.connect(cache_path(kb_copy)) as connection:
        assert _indexes(connection) == _expected_indexes()


#: A record whose claim names a record that is not there: a cross-record finding.
STRAY = """id: stray
name: Stray
summary: s
claims:
  - id: stray-agonist-of-nowhere
    subject: stray
    predicate: agonist_of
    object: nowhere
    statement: Stray activates nowhere.
    status: supported
    evidence:
      - source: berman-2000
        stance: supports
"""


@pytest.mark.parametrize(("table", "column"), [
    ("files", "findings"), ("cross_findings", "findings"),
    ("records", "json"), ("claims", "json")])
@pytest.mark.parametrize("damage", ["{not json", '[["a shape", "of", "another"]]'])
def test_a_damaged_json_column_is_rebuilt(kb_copy: Path, table: str, column: str,
                                          damage: str) -> None:
    """A JSON value damaged in the file (it used to end in `JSONDecodeError`)."""
    (kb_copy / "agents" / "typo.yaml").write_text(
        "id: typo\nname: Typo\nsummary: s\nnmae: x\n", encoding="utf-8")
    (kb_copy / "agents" / "stray.yaml").write_text(STRAY, encoding="utf-8")
    expected = _answer(kb_copy, False)
    queried = _queried(kb_copy, False)
    validate_kb(kb_copy, sources_dir=ARCHIVES)
    with sqlite3.connect(cache_path(kb_copy)) as connection:
        assert connection.execute(f"UPDATE {table} SET {column} = ?", (damage,)).rowcount
    assert _queried(kb_copy, True) == queried
    with sqlite3.connect(cache_path(kb_copy)) as connection:  # damaged again, for validate
        assert connection.execute(f"UPDATE {table} SET {column} = ?", (damage,)).rowcount
    assert _answer(kb_copy, True) == expected


def test_a_damaged_record_column_is_rebuilt_for_exports(kb_copy: Path) -> None:
    """The records an export reads back from the cache (it used to end in JSONDecodeError)."""
    from ketakb.output.export import load_kb

    expected = load_kb(kb_copy, use_cache=False).records
    load_kb(kb_copy)
    with sqlite3.connect(cache_path(kb_copy)) as connection:
        assert connection.execute("UPDATE files SET record = '{not json'").rowcount
    assert load_kb(kb_copy).records == expected


def _ketakb(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ketakb", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _outcome(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=300)
    return process.returncode, stdout, stderr


def test_concurrent_runs_give_the_answer_without_the_cache(tmp_path: Path) -> None:
    """Two `validate` at once on a cold cache, and a query while they build it (an editor and
    a terminal): they used to crash with `database is locked`. Each waits for the cache or
    works without it, and answers what `--no-cache` answers."""
    generate.generate(1000, tmp_path / "g", errors=20, seed=5)
    kb, archives = str(tmp_path / "g" / "kb"), str(tmp_path / "g" / "archives")
    validate = ("validate", "--kb", kb, "--sources-dir", archives)
    expected = _outcome(_ketakb(*validate, "--no-cache"))
    expected_stats = _outcome(_ketakb("stats", "--kb", kb, "--no-cache"))
    assert expected[0] == 1 and expected_stats[0] == 0 and "error" not in expected[2]
    first, second = _ketakb(*validate), _ketakb(*validate)
    time.sleep(0.3)
    query = _ketakb("stats", "--kb", kb)
    assert [_outcome(first), _outcome(second), _outcome(query)] == [
        expected, expected, expected_stats]
    assert _outcome(_ketakb(*validate)) == expected  # and the cache left behind is sound


def test_a_busy_cache_is_not_waited_for_long(kb_copy: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """While another run holds the cache, a run works in memory after LOCK_WAIT, and leaves
    the cache alone."""
    expected = _answer(kb_copy, False)
    monkeypatch.setattr(store, "LOCK_WAIT", 0.1)
    holder = Store.open(kb_copy)
    try:
        assert holder.persistent
        assert _answer(kb_copy, True) == expected
        assert _queried(kb_copy, True) == _queried(kb_copy, False)
        assert holder.db.execute("SELECT count(*) FROM files").fetchone() == (0,)
    finally:
        holder.close()
    assert _answer(kb_copy, True) == expected
    with sqlite3.connect(cache_path(kb_copy)) as connection:
        assert connection.execute("SELECT count(*) FROM files").fetchone() == (7,)


def _settled(monkeypatch: pytest.MonkeyPatch, margin: int = 0) -> None:
    """Files count as racy when changed within `margin` ns of a run (0: settled long ago,
    whenever they were written)."""
    monkeypatch.setattr(store, "RACY_NS", margin)
    monkeypatch.setattr(store, "COARSE_RACY_NS", margin)


def _rewrite_keeping_size_and_mtime(path: Path, old: str, new: str) -> None:
    """What `cp -p`, `rsync -t` or `tar x` do: other content, same size, the old mtime."""
    assert len(old) == len(new)
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_an_edit_keeping_size_and_mtime_is_seen(kb_copy: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The change time (and inode) tell: validate and queries see the edit."""
    _settled(monkeypatch)  # only the times tell
    validate_kb(kb_copy, sources_dir=ARCHIVES)
    _queried(kb_copy, True)
    path = kb_copy / "conditions" / "major-depressive-disorder.yaml"
    _rewrite_keeping_size_and_mtime(path, "name: Major depressive disorder",
                                    "name: Major depressive disordeR")
    with KnowledgeBase.open(kb_copy) as kb:
        assert kb.lookup("major-depressive-disorder").name == "Major depressive disordeR"
    _rewrite_keeping_size_and_mtime(path, "id: major-depressive-disorder",
                                    "id: major-depressive-disordeR")
    assert _answer(kb_copy, True) == _answer(kb_copy, False)
    assert "KB020" in {finding[3] for finding in _answer(kb_copy, True)[0]}  # an upper-case id


def test_racy_files_are_compared_by_content_next_time(kb_copy: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Files stored within RACY_NS of their change time could change again within one clock
    tick, unseen: the next run reads them (without checking them again, as their content
    is the same); once settled, they are not read at all."""
    from ketakb.pipeline import loader

    reads: list[str] = []
    real_read = loader.read_file
    monkeypatch.setattr(loader, "read_file",
                        lambda record_file: reads.append(record_file.kind) or real_read(
                            record_file))
    checks: list[str] = []
    real_check = loader._check_bytes
    monkeypatch.setattr(loader, "_check_bytes",
                        lambda record_file, raw: checks.append(record_file.kind) or real_check(
                            record_file, raw))
    _settled(monkeypatch, 10**18)  # every file just written
    validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert len(reads) == len(checks) == 7
    _settled(monkeypatch)
    validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert len(reads) == 14 and len(checks) == 7
    validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert len(reads) == 14


def test_a_snapshot_edit_keeping_size_and_mtime_is_seen(
        kb_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Archived snapshots' texts are kept by the same change key as record files."""
    _settled(monkeypatch)
    archives = tmp_path / "archives"
    archives.mkdir()
    snapshot = archives / "clinic-post.txt"
    snapshot.write_bytes((ARCHIVES / "clinic-post.txt").read_bytes())
    assert validate_kb(kb_copy, sources_dir=archives).findings == []
    assert validate_kb(kb_copy, sources_dir=archives).findings == []  # from the index
    _rewrite_keeping_size_and_mtime(snapshot, "quickly", "quietly")
    report = validate_kb(kb_copy, sources_dir=archives)
    assert [(Path(f.file).name, f.code) for f in report.findings] == [
        ("nmda-receptor.yaml", "KB038")]


def test_an_open_knowledge_base_does_not_hold_the_cache(kb_copy: Path) -> None:
    """A library user may keep a KnowledgeBase open for long: once it is brought up to date it
    only reads, and other runs use the cache meanwhile (instead of waiting, then working in
    memory); it still answers."""
    with KnowledgeBase.open(kb_copy) as kb:
        other = Store.open(kb_copy)
        try:
            assert other.persistent
            refresh(other)
        finally:
            other.close()
        assert kb.lookup("ketamine").name == "Ketamine"


def test_a_file_system_without_locks_works_in_memory(kb_copy: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the lock cannot be taken at all (some network file systems), runs work in memory,
    and leave no descriptor open behind them."""
    import errno
    import fcntl

    def refuse(handle: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "no locks available")

    expected = _answer(kb_copy, False)
    monkeypatch.setattr(fcntl, "flock", refuse)
    descriptors = len(os.listdir("/dev/fd"))
    assert _answer(kb_copy, True) == expected
    assert _queried(kb_copy, True) == _queried(kb_copy, False)
    assert len(os.listdir("/dev/fd")) == descriptors
    assert not cache_path(kb_copy).exists()
