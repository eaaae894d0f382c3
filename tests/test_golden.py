"""Every command prints and writes exactly what its golden transcript holds (tests/golden),
on the bundled KB and on a generated KB with planted errors: the proof that a refactor changed
no output. When a change is meant, `python -m tests.golden` rewrites the transcripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import golden
from tests.golden import FLAVOURS, Case, cases, difference, golden_path, read_golden, run_case

ALL = [(flavour, case) for flavour in FLAVOURS for case in cases(flavour)]


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("golden-cache")


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One scratch folder per flavour, built once; cases that write into the KB copy it."""
    return {flavour: golden.make_workspace(flavour, tmp_path_factory.mktemp(flavour) / "ws")
            for flavour in FLAVOURS}


@pytest.mark.parametrize(("flavour", "case"), ALL,
                         ids=[f"{flavour}/{case.name}" for flavour, case in ALL])
def test_output_is_the_golden_transcript(flavour: str, case: Case, workspaces: dict[str, Path],
                                         module_cache: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETAKB_CACHE_DIR", str(module_cache))
    actual = run_case(case, workspaces[flavour], tmp_path)
    problem = difference(read_golden(golden_path(flavour, case)), actual,
                         f"{flavour}/{case.name}")
    assert problem is None, problem


def test_every_command_has_goldens_in_every_flavour() -> None:
    """A new command fails here until it has cases (and so transcripts)."""
    commands = golden.command_names()
    assert len(commands) >= 17
    for flavour in FLAVOURS:
        covered = {case.args[0] for case in cases(flavour) if "--help" not in case.args}
        needed = set(commands) - {"rules", "schema"} if flavour != "bundled" else set(commands)
        assert needed <= covered, (flavour, sorted(needed - covered))
    helped = {case.args[0] for case in cases("bundled") if case.args[1:] == ("--help",)}
    assert helped == set(commands)


def test_every_golden_belongs_to_a_case() -> None:
    """A transcript whose case is gone would go unchecked: regeneration drops it."""
    for flavour in FLAVOURS:
        expected = {golden_path(flavour, case).name for case in cases(flavour)}
        kept = {p.name for p in (golden.GOLDEN / flavour).iterdir()}
        assert kept == expected, (flavour, sorted(kept ^ expected))


def test_a_changed_byte_is_reported_with_a_diff_and_how_to_regenerate(tmp_path: Path) -> None:
    name = "rules.txt"
    copy = tmp_path / name
    copy.write_bytes((golden.GOLDEN / "bundled" / name).read_bytes())
    actual = read_golden(copy)
    assert actual is not None
    assert difference(read_golden(copy), actual, name) is None
    data = bytearray(copy.read_bytes())
    middle = len(data) // 2
    data[middle] = ord("#") if data[middle] != ord("#") else ord("%")
    copy.write_bytes(bytes(data))
    problem = difference(read_golden(copy), actual, name)
    assert problem is not None
    assert golden.REGENERATE in problem
    assert "\n-" in problem and "\n+" in problem


def test_a_missing_final_newline_or_golden_is_reported() -> None:
    assert difference("a\n", "a\n", "x") is None
    assert difference("a\n", "a\n\n", "x") is not None
    missing = difference(None, "a\n", "x")
    assert missing is not None and golden.REGENERATE in missing


def test_big_outputs_are_kept_as_digests_and_small_ones_as_text() -> None:
    small = golden._text(b"x" * 10)
    big = golden._text(b"x" * (golden.BIG + 1))
    assert small == "xxxxxxxxxx\n<no newline at end>\n"
    assert big.startswith("<sha256 ") and f"size {golden.BIG + 1}" in big


def test_the_scratch_path_is_written_as_a_placeholder(tmp_path: Path) -> None:
    assert golden.normalise(f"see {tmp_path}/kb/x.yaml", tmp_path) == "see <WS>/kb/x.yaml"
