"""The invalid-record corpus: one case per failure mode, each asserting its rule code and place.

Each folder under tests/data/invalid/ is laid over a copy of the valid fixture KB (adding or
replacing files), and the whole KB is validated. A file declares what it must produce in
leading comments:

    # expect: KB005 7:1 message: duplicate key 'name' hint: merge the two
    # expect: KB010 1:1 at misc            (the finding is on another path of the KB)
    # expect-count: KB006 100              (exactly this many findings of the code there)

The findings of the run must be exactly the declared ones, so a case also fails when it
triggers something it does not declare. Rule codes no single file can trigger (size, links,
unreadable files, internal errors) are tested below the corpus.
"""

from __future__ import annotations

import os
import re
import shutil
import typing
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from ketakb import files
from ketakb.findings import RULES, Finding
from ketakb.pipeline import parse
from ketakb.pipeline.parse import MAX_BYTES, parse_yaml
from ketakb.pipeline.validation import Report, validate_kb
from tests.conftest import ARCHIVES, DATA, VALID_KB

INVALID = DATA / "invalid"
VALID_CASES = DATA / "valid"
#: Codes the corpus cannot hold as committed files; each has its own test in this module.
GENERATED = {"KB009", "KB011", "KB012", "KB099"}

_EXPECT = re.compile(
    r"^# expect: (?P<code>KB\d{3}) (?P<line>\d+):(?P<column>\d+)"
    r"(?: at (?P<at>\S+))?(?: message: (?P<message>.*?))?(?: hint: (?P<hint>.*))?$"
)
_COUNT = re.compile(r"^# expect-count: (?P<code>KB\d{3}) (?P<count>\d+)$")


@dataclass(frozen=True)
class Expected:
    path: str
    code: str
    line: int
    column: int
    message: str | None
    hint: str | None


@dataclass
class Case:
    expected: list[Expected]
    counts: dict[tuple[str, str], int]


def _header(file: Path) -> list[str]:
    """The leading comment lines (the rest of the file may be anything, even invalid UTF-8)."""
    lines = []
    for raw in file.read_bytes().splitlines():
        if not raw.startswith(b"#"):
            break
        lines.append(raw.decode("utf-8", errors="replace").rstrip())
    return lines


def read_case(case: Path) -> Case:
    expected: list[Expected] = []
    counts: dict[tuple[str, str], int] = {}
    for file in sorted(p for p in case.rglob("*") if p.is_file()):
        own = file.relative_to(case).as_posix()
        for line in _header(file):
            if match := _EXPECT.match(line):
                expected.append(Expected(match["at"] or own, match["code"], int(match["line"]),
                                         int(match["column"]), match["message"], match["hint"]))
            elif match := _COUNT.match(line):
                counts[(own, match["code"])] = int(match["count"])
            else:
                assert not line.startswith("# expect"), f"{file}: malformed '{line}'"
    return Case(expected, counts)


def overlay(case: Path, target: Path) -> Path:
    """A KB made of the valid fixture with the case's files added or replaced."""
    shutil.copytree(VALID_KB, target)
    shutil.copytree(case, target, dirs_exist_ok=True)
    return target


def relative(finding: Finding, kb: Path) -> str:
    return Path(os.path.abspath(finding.file)).relative_to(kb.absolute()).as_posix()


def run(kb: Path) -> Report:
    return validate_kb(kb, sources_dir=ARCHIVES)


INVALID_CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())


@pytest.mark.parametrize("name", INVALID_CASES)
def test_invalid_case(name: str, tmp_path: Path) -> None:
    case = read_case(INVALID / name)
    assert case.expected or case.counts, f"{name} declares no expectation"
    kb = overlay(INVALID / name, tmp_path / "kb")
    report = run(kb)
    found = [(relative(f, kb), f.code, f.line, f.column) for f in report.findings]

    counted = Counter((path, code) for path, code, _, _ in found if (path, code) in case.counts)
    assert dict(counted) == case.counts
    exact = sorted(f for f in found if (f[0], f[1]) not in case.counts)
    declared = sorted((e.path, e.code, e.line, e.column) for e in case.expected
                      if (e.path, e.code) not in case.counts)
    assert exact == declared, "\n".join(
        f"{f.file}:{f.line}:{f.column}: {f.code} {f.message}" for f in report.findings)

    for e in case.expected:
        [finding] = [f for f in report.findings if (relative(f, kb), f.code, f.line, f.column)
                     == (e.path, e.code, e.line, e.column)]
        assert e.message is None or e.message in finding.message, finding.message
        assert e.hint is None or e.hint in finding.hint, finding.hint
    assert not report.ok(strict=True)


def test_corpus_covers_every_rule() -> None:
    """A new rule code needs a corpus case (or a generated test here)."""
    covered = {e.code for name in INVALID_CASES for e in read_case(INVALID / name).expected}
    assert covered | GENERATED == set(RULES)
    assert not covered & GENERATED


@pytest.mark.parametrize("name", sorted(p.name for p in VALID_CASES.iterdir() if p.is_dir()))
def test_valid_case(name: str, tmp_path: Path) -> None:
    kb = overlay(VALID_CASES / name, tmp_path / "kb")
    report = run(kb)
    assert [f"{f.file}:{f.line}:{f.column}: {f.code} {f.message}" for f in report.findings] == []
    assert report.ok(strict=True)


def test_yaml_1_2_scalars_stay_strings() -> None:
    """`no`, `on`, `off`, `yes` and dates stay text; numbers are numbers."""
    raw = (VALID_CASES / "yaml-1-2-strings" / "agents" / "ketamine.yaml").read_bytes()
    value = parse_yaml(raw).value
    assert value is not None
    assert value["synonyms"][:6] == ["no", "on", "off", "yes", "2024-01-05", "Null-ish"]
    assert value["claims"][0]["figures"][0]["qualifier"] == "≈"
    assert value["claims"][0]["figures"][0]["value"] == 0.5


def test_billion_laughs_is_never_expanded() -> None:
    """The bomb yields findings from the event stream alone: no tree, no values."""
    raw = (INVALID / "kb006-billion-laughs" / "agents" / "billion-laughs.yaml").read_bytes()
    parsed = parse_yaml(raw)
    assert parsed.value is None and parsed.root is None
    assert Counter(p.code for p in parsed.problems) == {"KB006": 100}


@pytest.mark.parametrize("levels", [10_000, 400_000])
def test_deep_nesting_is_a_finding_not_a_crash(levels: int) -> None:
    """Far below 1 MiB, yet deep enough to overflow libyaml's recursive composer."""
    parsed = parse_yaml(b"id: x\nnotes: " + b"[" * levels + b"]" * levels + b"\n")
    assert [(p.code, p.line, p.column) for p in parsed.problems] == [("KB008", 2, 8 + 31)]


class _ShortSightedLoader(yaml.CSafeLoader):  # type: ignore[misc]
    """A C parser that gives up past a nesting limit while reading ahead, as libyaml 0.2.6
    does at 1,000 levels: the limit here is lower, so any libyaml release shows the case."""

    def __init__(self, stream: str) -> None:
        if "[" * 100 in stream:
            stream = stream.replace("[" * 100, "[" * 99 + "]", 1)  # a syntax error up front
        super().__init__(stream)


@pytest.mark.parametrize("levels", [40, 10_000])
def test_nesting_finding_does_not_depend_on_how_far_libyaml_reads_ahead(
    levels: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A C parser that fails before it reaches level 33 must not turn KB008 into KB002."""
    monkeypatch.setattr(parse, "_Loader", _ShortSightedLoader)
    parsed = parse_yaml(b"id: x\nnotes: &a " + b"[" * levels + b"]" * levels + b"\n")
    assert [(p.code, p.line, p.column) for p in parsed.problems] == [
        ("KB006", 2, 8), ("KB008", 2, 11 + 31)]


def _agent(name: str, notes: str = "") -> str:
    return f"id: {name}\nname: {name}\nsummary: s\nnotes: '{notes}'\n"


def test_file_over_one_mebibyte(kb_copy: Path) -> None:
    """KB009 at the limit's edge: exactly 1 MiB is read, one byte more is not."""
    head = _agent("at-limit")
    exact = head[:-2] + "x" * (MAX_BYTES - len(head)) + "'\n"
    (kb_copy / "agents" / "at-limit.yaml").write_text(exact)
    assert len(exact) == MAX_BYTES
    (kb_copy / "agents" / "over-limit.yaml").write_text(exact.replace("'x", "'xx"))
    report = run(kb_copy)
    codes = {(Path(f.file).name, f.code, f.line, f.column) for f in report.findings}
    assert ("over-limit.yaml", "KB009", 1, 1) in codes
    assert not any(name == "at-limit.yaml" and code == "KB009" for name, code, _, _ in codes)
    [big] = [f for f in report.findings if f.code == "KB009"]
    assert str(MAX_BYTES + 1) in big.message


def test_symlinks_leading_outside(kb_copy: Path, tmp_path: Path) -> None:
    """A linked record file or a linked kind folder must not load records from elsewhere."""
    outside = tmp_path / "elsewhere"
    (outside / "agents").mkdir(parents=True)
    (outside / "agents" / "esketamine.yaml").write_text(_agent("esketamine"))
    (outside / "pathways").mkdir()
    (outside / "pathways" / "mtor.yaml").write_text(_agent("mtor"))
    os.symlink(outside / "agents" / "esketamine.yaml", kb_copy / "agents" / "esketamine.yaml")
    os.symlink(outside / "pathways", kb_copy / "pathways")
    # a link that stays inside the KB is not a KB011 (its target is checked as usual)
    os.symlink(kb_copy / "agents" / "ketamine.yaml", kb_copy / "agents" / "link.txt")
    report = run(kb_copy)
    assert sorted((relative(f, kb_copy), f.code, f.line, f.column) for f in report.findings) == [
        ("agents/esketamine.yaml", "KB011", 1, 1),
        ("agents/link.txt", "KB010", 1, 1),
        ("pathways", "KB011", 1, 1),
    ]
    assert report.records == 7


def test_unreadable_file(kb_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """KB012: an OSError while reading becomes a finding on that file; the rest is checked."""
    target = str(kb_copy / "conditions" / "major-depressive-disorder.yaml")

    def guarded_open(file: str, *args: typing.Any, **kwargs: typing.Any) -> typing.IO[typing.Any]:
        if file == target:  # root may read a chmod 000 file, so the refusal is simulated
            raise PermissionError(13, "Permission denied")
        return open(file, *args, **kwargs)

    monkeypatch.setattr(files, "open", guarded_open, raising=False)
    report = validate_kb(kb_copy, sources_dir=ARCHIVES, use_cache=False)
    assert [(relative(f, kb_copy), f.code, f.line, f.column, f.message)
            for f in report.findings] == [
        ("conditions/major-depressive-disorder.yaml", "KB012", 1, 1,
         "cannot read the file: Permission denied")]


def test_unreadable_kind_folder(kb_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """KB012 on the folder; the other folders are still checked (and miss its records)."""
    blocked = kb_copy / "effects"
    real_scandir = os.scandir

    def scandir(path: Path) -> typing.Any:
        if Path(path) == blocked:
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = validate_kb(kb_copy, sources_dir=ARCHIVES, use_cache=False)
    assert [(relative(f, kb_copy), f.code, f.message) for f in report.findings] == [
        ("effects", "KB012", "cannot read the folder: Permission denied"),
        ("receptors/nmda-receptor.yaml", "KB032",
         "object of leads_to 'rapid-antidepressant-effect' is not a record in the KB")]
    assert report.records == 6


@pytest.mark.usefixtures("explode_on_ketamine")
def test_internal_error_becomes_a_finding(kb_copy: Path) -> None:
    """KB099: an unexpected exception while checking one file; the other files still count."""
    report = validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert [(relative(f, kb_copy), f.code, f.line, f.column, f.message)
            for f in report.findings] == [
        ("agents/ketamine.yaml", "KB099", 1, 1, "internal error: RuntimeError: boom")]
    assert report.records == 6
