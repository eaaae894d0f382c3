"""The benchmark generator makes KBs that validate clean, and parallel checking changes nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ketakb.pipeline import build
from ketakb.pipeline.store import Store
from ketakb.pipeline.validation import validate_kb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import generate


def test_generated_kb_is_clean_under_strict(tmp_path: Path) -> None:
    info = generate.generate(200, tmp_path / "g")
    report = validate_kb(tmp_path / "g" / "kb", sources_dir=tmp_path / "g" / "archives",
                         use_cache=False)
    assert report.ok(strict=True), [f"{f.file}:{f.line} {f.code} {f.message}"
                                    for f in report.findings[:10]]
    assert report.records == info["records"] == 200
    kinds = {p.name for p in (tmp_path / "g" / "kb").iterdir() if any(p.iterdir())}
    assert kinds == {"sources", "agents", "receptors", "pathways", "effects", "conditions"}
    for ident in ("agents/ketamine", "receptors/nmda-receptor",
                  "effects/rapid-antidepressant-effect"):
        assert (tmp_path / "g" / "kb" / f"{ident}.yaml").is_file()


def test_generator_is_deterministic(tmp_path: Path) -> None:
    generate.generate(60, tmp_path / "a")
    generate.generate(60, tmp_path / "b")
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.yaml"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.yaml"))
    assert files_a == files_b
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
               for f in files_a)


def test_planted_errors_cover_the_rule_codes(tmp_path: Path) -> None:
    generate.generate(400, tmp_path / "e", errors=120)
    report = validate_kb(tmp_path / "e" / "kb", sources_dir=tmp_path / "e" / "archives",
                         use_cache=False)
    codes = {f.code for f in report.findings}
    expected = {f"KB0{n:02d}" for n in (*range(1, 12), 20, 21, 22, *range(30, 41))}
    assert expected <= codes, sorted(expected - codes)


@pytest.mark.parametrize("use_cache", [False, True])
def test_parallel_validation_equals_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           use_cache: bool) -> None:
    generate.generate(300, tmp_path / "e", errors=60)
    kb, archives = tmp_path / "e" / "kb", tmp_path / "e" / "archives"
    monkeypatch.setattr(build, "PARALLEL_MIN", 10**9)
    serial = validate_kb(kb, sources_dir=archives, use_cache=False)
    monkeypatch.setattr(build, "PARALLEL_MIN", 1)
    parallel = validate_kb(kb, sources_dir=archives, use_cache=use_cache)
    assert parallel == serial
    assert serial.findings
    if use_cache:  # the query tables built in workers match those built here
        rows = {}
        for workers in (1, 2):
            monkeypatch.setenv("KETAKB_CACHE_DIR", str(tmp_path / f"cache{workers}"))
            idx = Store.open(kb)
            build.refresh(idx, workers=workers)
            rows[workers] = {t: sorted(map(repr, idx.rows(f"SELECT * FROM {t}")))
                             for t in ("files", "records", "names", "claims", "evidence",
                                       "search")}
            idx.close()
        assert rows[1] == rows[2]
