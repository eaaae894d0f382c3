"""The sdist is self-consistent: it ships the tests and everything they read or import, so a
packager who runs them from the unpacked archive gets the same suite as a clone."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = "import sys, hatchling.build as b; sys.stdout.write(b.build_sdist(sys.argv[1]))"


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist, built from this tree with the PEP 517 hook (as `python -m build --sdist`
    would, without fetching anything), unpacked."""
    folder = tmp_path_factory.mktemp("sdist")
    built = subprocess.run([sys.executable, "-c", BUILD, str(folder)], cwd=ROOT, text=True,
                           capture_output=True, check=False, timeout=120)
    assert built.returncode == 0, built.stderr
    with tarfile.open(folder / built.stdout) as archive:
        if hasattr(tarfile, "data_filter"):  # Python 3.10.12+: refuse links out of `folder`
            archive.extractall(folder, filter="data")
        else:
            archive.extractall(folder)
    (top,) = [p for p in folder.iterdir() if p.is_dir()]
    return top


def _tracked() -> list[str] | None:
    """The files git tracks here, or None outside a git checkout (e.g. in the sdist itself)."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        return None
    listed = subprocess.run([git, "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=False, timeout=60)
    return listed.stdout.decode().split("\0")[:-1] if listed.returncode == 0 else None


def test_sdist_ships_every_tracked_file(unpacked: Path) -> None:
    tracked = _tracked()
    if tracked is None:
        pytest.skip("not a git checkout: nothing to compare the sdist with")
    shipped = {str(p.relative_to(unpacked).as_posix()) for p in unpacked.rglob("*")
               if p.is_file()}
    missing = sorted(set(tracked) - shipped)
    assert not missing, ("the sdist leaves out tracked files; add their top-level entry to "
                         f"[tool.hatch.build.targets.sdist] include in pyproject.toml: {missing}")


def test_tests_collect_from_the_unpacked_sdist(unpacked: Path) -> None:
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=unpacked, text=True, capture_output=True, check=False, timeout=120)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert "tests/test_incremental.py::" in collected.stdout  # it imports benchmarks/generate.py
