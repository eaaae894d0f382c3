"""The compiled index as a cache: unchanged files are never checked twice, and a broken or
unusable cache never changes a result."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketakb.cli import app
from ketakb.findings import Finding
from ketakb.pipeline import loader
from ketakb.pipeline.store import cache_path
from ketakb.pipeline.validation import Report, validate_kb
from tests.conftest import ARCHIVES

Write = Callable[[str, str], Path]
TYPO = "id: typo\nname: Typo\nsummary: s\nnmae: x\n"


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stems of the files checked (parsed and modelled), in order, across runs."""
    stems: list[str] = []
    real = loader._check_bytes

    def counting(record_file: loader.RecordFile, raw: bytes) -> loader.FileResult:
        stems.append(record_file.path.stem)
        return real(record_file, raw)

    monkeypatch.setattr(loader, "_check_bytes", counting)
    return stems


def _places(report: Report) -> list[tuple[str, int, int, str, str]]:
    return [(Path(f.file).name, f.line, f.column, f.code, f.message) for f in report.findings]


def test_second_run_checks_nothing(kb_copy: Path, write_record: Write,
                                   checked: list[str]) -> None:
    write_record("agents/typo.yaml", TYPO)
    first = validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert len(checked) == 8
    checked.clear()
    second = validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert checked == []
    assert second == first
    assert [f.code for f in second.findings] == ["KB021"]


def test_changed_file_is_checked_again(kb_copy: Path, write_record: Write,
                                       checked: list[str]) -> None:
    validate_kb(kb_copy, sources_dir=ARCHIVES)
    checked.clear()
    path = kb_copy / "conditions" / "major-depressive-disorder.yaml"
    path.write_text(path.read_text() + "nmae: x\n")
    report = validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert checked == ["major-depressive-disorder"]
    assert [(f.code, f.line) for f in report.findings] == [("KB021", 6)]


def test_same_size_edit_is_seen(kb_copy: Path, checked: list[str]) -> None:
    """An edit that keeps the size still changes the modification time."""
    validate_kb(kb_copy, sources_dir=ARCHIVES)
    checked.clear()
    path = kb_copy / "effects" / "rapid-antidepressant-effect.yaml"
    text = path.read_text()
    before = path.stat().st_mtime_ns
    path.write_text(text.replace("type: therapeutic", "type: therapeutik"))
    os.utime(path, ns=(before + 10**9, before + 10**9))
    report = validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert checked == ["rapid-antidepressant-effect"]
    assert [f.hint for f in report.findings] == ["did you mean 'therapeutic'?"]


def test_touched_but_unchanged_file_is_not_checked(kb_copy: Path, checked: list[str]) -> None:
    first = validate_kb(kb_copy, sources_dir=ARCHIVES)
    checked.clear()
    path = kb_copy / "agents" / "ketamine.yaml"
    later = path.stat().st_mtime_ns + 10**9
    os.utime(path, ns=(later, later))
    assert validate_kb(kb_copy, sources_dir=ARCHIVES) == first
    assert checked == []  # same digest: the stored result stands


def test_deleted_file_takes_its_findings_along(kb_copy: Path, write_record: Write) -> None:
    typo = write_record("agents/typo.yaml", TYPO)
    assert [f.code for f in validate_kb(kb_copy, sources_dir=ARCHIVES).findings] == ["KB021"]
    typo.unlink()
    report = validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert report.findings == []
    assert report.files == 7


def test_renamed_file_is_judged_by_its_new_name(kb_copy: Path) -> None:
    path = kb_copy / "effects" / "rapid-antidepressant-effect.yaml"
    validate_kb(kb_copy, sources_dir=ARCHIVES)
    path.rename(path.with_name("fast-effect.yaml"))
    assert [f.code for f in validate_kb(kb_copy, sources_dir=ARCHIVES).findings] == ["KB030"]


@pytest.mark.parametrize("garbage", [b"", b"\x00garbage\xff" * 100,
                                     b"SQLite format 3\x00" + b"\x01" * 4000])
def test_corrupt_cache_is_rebuilt(kb_copy: Path, write_record: Write, garbage: bytes,
                                  checked: list[str]) -> None:
    write_record("agents/typo.yaml", TYPO)
    expected = _places(validate_kb(kb_copy, sources_dir=ARCHIVES))
    cache = cache_path(kb_copy)
    cache.write_bytes(garbage)
    checked.clear()
    assert _places(validate_kb(kb_copy, sources_dir=ARCHIVES)) == expected
    assert len(checked) == 8  # nothing trusted from the garbage
    with sqlite3.connect(cache) as connection:  # a working cache again
        assert connection.execute("SELECT count(*) FROM files").fetchone()[0] == 8
    checked.clear()
    validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert checked == []


def test_unwritable_cache_dir_falls_back_to_memory(kb_copy: Path, tmp_path: Path,
                                                   write_record: Write,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("KETAKB_CACHE_DIR", str(blocker / "cache"))
    write_record("agents/typo.yaml", TYPO)
    report = validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert [f.code for f in report.findings] == ["KB021"]
    assert blocker.read_text() == "a file where the cache folder should be"
    result = CliRunner().invoke(app, ["validate", str(kb_copy)])
    assert result.exit_code == 1 and "KB021" in result.stdout


def test_no_cache_writes_nothing(kb_copy: Path, private_cache: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(kb_copy), "--no-cache"])
    assert result.exit_code == 0, result.output
    assert list(private_cache.iterdir()) == []
    assert CliRunner().invoke(app, ["validate", str(kb_copy)]).exit_code == 0
    name = cache_path(kb_copy).name
    assert sorted(p.name for p in private_cache.iterdir()) == [name, f"{name}.lock"]


def test_no_cache_ignores_a_stale_cache(kb_copy: Path, checked: list[str]) -> None:
    validate_kb(kb_copy, sources_dir=ARCHIVES)
    checked.clear()
    validate_kb(kb_copy, sources_dir=ARCHIVES, use_cache=False)
    assert len(checked) == 7


def test_each_kb_has_its_own_cache(kb_copy: Path, tmp_path: Path, write_record: Write) -> None:
    other = tmp_path / "other"
    other.mkdir()
    os.rename(kb_copy, other / "kb")
    clean = validate_kb(other / "kb", sources_dir=ARCHIVES)
    os.rename(other / "kb", kb_copy)
    write_record("agents/typo.yaml", TYPO)
    assert clean.findings == []
    assert [f.code for f in validate_kb(kb_copy, sources_dir=ARCHIVES).findings] == ["KB021"]
    assert cache_path(kb_copy) != cache_path(other / "kb")


def test_cached_findings_follow_the_working_directory(kb_copy: Path, write_record: Write,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Stored findings hold no file name: paths are shown relative to where the user is."""
    write_record("agents/typo.yaml", TYPO)
    [absolute] = validate_kb(kb_copy).findings
    assert absolute.file == str(kb_copy / "agents" / "typo.yaml")
    monkeypatch.chdir(kb_copy)
    [relative] = validate_kb(kb_copy).findings
    assert relative.file == os.path.join("agents", "typo.yaml")
    assert (relative.line, relative.column, relative.code) == (4, 1, "KB021")


def test_internal_errors_are_not_cached(kb_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A KB099 comes from the checker, not the file: the next run must try again."""
    real = loader._check_bytes

    def explode(record_file: loader.RecordFile, raw: bytes) -> loader.FileResult:
        raise RuntimeError("boom")

    monkeypatch.setattr(loader, "_check_bytes", explode)
    assert {f.code for f in validate_kb(kb_copy).findings} == {"KB099"}
    monkeypatch.setattr(loader, "_check_bytes", real)
    assert validate_kb(kb_copy).findings == []


def test_a_changed_checker_invalidates_the_cache(kb_copy: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Results computed by other checker code are never served, whatever the version says."""
    from ketakb.pipeline import store

    validate_kb(kb_copy)
    calls = []
    real = loader._check_bytes
    monkeypatch.setattr(loader, "_check_bytes",
                        lambda *args: calls.append(1) or real(*args))
    validate_kb(kb_copy)
    assert calls == []
    monkeypatch.setattr(store, "checker_fingerprint", lambda: "a-newer-checker")
    validate_kb(kb_copy)
    assert calls


def test_an_edited_archive_is_read_again(kb_copy: Path, tmp_path: Path) -> None:
    """Normalised archive texts are kept in the index by size and mtime: an edit is seen."""
    archives = tmp_path / "archives"
    archives.mkdir()
    snapshot = archives / "clinic-post.txt"
    snapshot.write_bytes((ARCHIVES / "clinic-post.txt").read_bytes())
    assert validate_kb(kb_copy, sources_dir=archives).findings == []
    assert validate_kb(kb_copy, sources_dir=archives).findings == []  # from the index
    snapshot.write_text(snapshot.read_text(encoding="utf-8").replace("quickly", "slowly"),
                        encoding="utf-8")
    report = validate_kb(kb_copy, sources_dir=archives)
    assert [(Path(f.file).name, f.code) for f in report.findings] == [
        ("nmda-receptor.yaml", "KB038")]
    snapshot.unlink()
    report = validate_kb(kb_copy, sources_dir=archives)
    assert [(Path(f.file).name, f.code) for f in report.findings] == [
        ("clinic-post.yaml", "KB039")]


def _names(kb: Path) -> list[str]:
    from ketakb import open_kb

    with open_kb(kb) as knowledge:
        return sorted(r.get("name") or r["title"] for r in knowledge.records())


def test_queries_see_edits_made_in_place(kb_copy: Path) -> None:
    """Up to FULL_STAT_LIMIT files, a query stats every file: a rewrite in place (which leaves
    the folder's mtime alone) is seen."""
    path = kb_copy / "conditions" / "major-depressive-disorder.yaml"
    before = _names(kb_copy)
    folder_mtime = path.parent.stat().st_mtime_ns
    path.write_text(path.read_text(encoding="utf-8").replace(
        "name: Major depressive disorder", "name: Major depression"), encoding="utf-8")
    assert path.parent.stat().st_mtime_ns == folder_mtime
    assert _names(kb_copy) == sorted(
        "Major depression" if n == "Major depressive disorder" else n for n in before)


def test_large_kbs_trust_the_folders_for_queries(kb_copy: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Above FULL_STAT_LIMIT files a query only notices files added, removed or renamed (the
    documented trade-off); `validate` always looks at every file and brings queries up to
    date."""
    monkeypatch.setattr("ketakb.pipeline.store.FULL_STAT_LIMIT", 0)
    path = kb_copy / "conditions" / "major-depressive-disorder.yaml"
    before = _names(kb_copy)
    path.write_text(path.read_text(encoding="utf-8").replace(
        "name: Major depressive disorder", "name: Major depression"), encoding="utf-8")
    assert _names(kb_copy) == before  # not noticed: the folders did not change
    validate_kb(kb_copy)
    assert "Major depression" in _names(kb_copy)
    (kb_copy / "conditions" / "anxiety.yaml").write_text(
        "id: anxiety\nname: Anxiety\nsummary: s\n", encoding="utf-8")
    assert "Anxiety" in _names(kb_copy)  # a new file changes its folder: noticed


def test_a_bulk_load_rebuilds_every_index(kb_copy: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Filling an empty index drops its indexes and builds them again at the end."""
    from ketakb.pipeline import build, store

    def indexes(db: sqlite3.Connection) -> list[tuple[str, str]]:
        return sorted(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                                 " AND sql IS NOT NULL"))

    reference = sqlite3.connect(":memory:")
    reference.executescript(store.DDL)
    monkeypatch.setattr(build, "PARALLEL_MIN", 1)
    dropped: list[list[str]] = []
    real_drop = store.Store.drop_indexes

    def drop(self: store.Store, queried: bool) -> list[str]:
        dropped.append(real_drop(self, queried))
        return dropped[-1]

    monkeypatch.setattr(store.Store, "drop_indexes", drop)
    kb = store.Store.open(kb_copy)
    try:
        build.refresh(kb, workers=1)
        assert dropped and len(dropped[0]) == len(indexes(reference)) > 10
        assert indexes(kb.db) == indexes(reference)
    finally:
        kb.close()
    # a throwaway index that only validates gets the indexes the checks use, and no others
    throwaway = store.Store.open(kb_copy, use_cache=False)
    try:
        build.refresh(throwaway, workers=1, queried=False)
        every = {name for name, _ in indexes(reference)}
        assert {name for name, _ in indexes(throwaway.db)} == every - store.QUERY_INDEXES
        assert every > store.QUERY_INDEXES  # no stale name in the set
    finally:
        throwaway.close()


def test_queries_take_the_fast_path_again_after_a_touch(kb_copy: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A touched file sends one query down the full path (list, stat, digest); the stored
    stamp is then renewed, so the next query only stats the files again. (The files were
    just written: within the racy window they would be compared by content once more.)"""
    monkeypatch.setattr("ketakb.pipeline.store.RACY_NS", 0)
    monkeypatch.setattr("ketakb.pipeline.store.COARSE_RACY_NS", 0)
    walks: list[Path] = []
    real = loader.discover

    def counting(root: Path) -> tuple[list[loader.RecordFile], list[Finding]]:
        walks.append(root)
        return real(root)

    monkeypatch.setattr(loader, "discover", counting)
    _names(kb_copy)
    _names(kb_copy)
    assert len(walks) == 1  # built once, then answered after a stat of every file
    path = kb_copy / "conditions" / "major-depressive-disorder.yaml"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    _names(kb_copy)
    _names(kb_copy)
    assert len(walks) == 2
