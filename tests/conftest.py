"""Shared fixtures: the small valid KB under tests/data and a factory for throwaway KBs."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
VALID_KB = DATA / "valid-kb"
ARCHIVES = DATA / "archives"


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory,
                  monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own index cache, never the user's."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("KETAKB_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the valid fixture KB."""
    target = tmp_path / "kb"
    shutil.copytree(VALID_KB, target)
    return target


@pytest.fixture
def write_record(kb_copy: Path) -> Callable[[str, str], Path]:
    """Write `text` as kb/<folder>/<name> in the writable KB copy."""

    def write(relative: str, text: str) -> Path:
        path = kb_copy / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def explode_on_ketamine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make checking the file `ketamine.yaml` raise, as an internal bug would (KB099)."""
    from ketakb.pipeline import loader

    real = loader._check_bytes

    def explode(record_file: loader.RecordFile, raw: bytes) -> loader.FileResult:
        if record_file.path.stem == "ketamine":
            raise RuntimeError("boom")
        return real(record_file, raw)

    monkeypatch.setattr(loader, "_check_bytes", explode)
