"""`validate_kb` as a library call: a report value, never an exception, never output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ketakb.findings import ERROR, RULES, WARNING, Finding, format_loc
from ketakb.pipeline.validation import Report, validate_kb
from tests.conftest import ARCHIVES, VALID_KB

Write = Callable[[str, str], Path]


def test_clean_report_counts() -> None:
    report = validate_kb(VALID_KB, sources_dir=ARCHIVES, use_cache=False)
    assert report == Report([], files=7, records=7, claims=4)
    assert report.ok() and report.ok(strict=True)
    assert (report.errors, report.warnings) == (0, 0)


def test_nothing_is_printed(capsys: pytest.CaptureFixture[str], kb_copy: Path,
                            write_record: Write) -> None:
    write_record("agents/broken.yaml", "id: [\n")
    validate_kb(kb_copy)
    assert capsys.readouterr() == ("", "")


def test_broken_kb_gives_a_sorted_report(kb_copy: Path, write_record: Write) -> None:
    write_record("receptors/zz-typo.yaml", "id: zz-typo\nname: Z\nsummary: s\nnmae: x\n")
    write_record("agents/aa-syntax.yaml", "id: [\n")
    (kb_copy / "agents" / "aa-syntax-2.yaml").write_bytes(b"id: \xff\n")
    write_record("stray.yaml", "id: stray\n")
    report = validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert report == Report(sorted(report.findings), files=10, records=7, claims=4)
    assert [(Path(f.file).name, f.code) for f in report.findings] == [
        ("aa-syntax-2.yaml", "KB001"), ("aa-syntax.yaml", "KB002"),
        ("zz-typo.yaml", "KB021"), ("stray.yaml", "KB010")]
    assert report.errors == 4 and not report.ok()
    assert all(isinstance(f, Finding) and f.severity == ERROR for f in report.findings)


def test_warnings_and_strict(kb_copy: Path, write_record: Write) -> None:
    write_record("sources/uncited.yaml",
                 "id: uncited\ntitle: T\ntype: web-page\ndesign: web-page\n")
    report = validate_kb(kb_copy, sources_dir=ARCHIVES)
    [finding] = report.findings
    assert (finding.code, finding.severity, finding.line, finding.column) == (
        "KB050", WARNING, 1, 5)
    assert finding.loc == ("id",) and format_loc(finding.loc) == "id"
    assert report.ok() and not report.ok(strict=True)
    assert (report.errors, report.warnings) == (0, 1)


def test_quotes_are_checked_only_with_sources_dir(kb_copy: Path) -> None:
    path = kb_copy / "receptors" / "nmda-receptor.yaml"
    path.write_text(path.read_text().replace("quickly", "slowly"))
    assert validate_kb(kb_copy).findings == []
    [finding] = validate_kb(kb_copy, sources_dir=ARCHIVES).findings
    assert finding.code == "KB038"
    assert format_loc(finding.loc) == "claims[0].evidence[0].quote"


def test_findings_as_json() -> None:
    finding = Finding("a.yaml", 2, 3, "KB051", "no claim involves 'a'", "add one", ("id",))
    assert finding.as_json() == {"code": "KB051", "severity": "warning", "file": "a.yaml",
                                 "line": 2, "column": 3, "message": "no claim involves 'a'",
                                 "hint": "add one"}


def test_progress_is_reported(kb_copy: Path) -> None:
    calls: list[tuple[int, int]] = []
    validate_kb(kb_copy, use_cache=False, progress=lambda done, total: calls.append(
        (done, total)))
    assert calls and calls[-1] == (7, 7)
    assert all(total == 7 and 0 <= done <= total for done, total in calls)


def test_relative_and_absolute_roots_agree(kb_copy: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    (kb_copy / "agents" / "typo.yaml").write_text("id: typo\nname: T\nsummary: s\nnmae: x\n")
    monkeypatch.chdir(kb_copy.parent)
    relative = validate_kb(Path(kb_copy.name))
    absolute = validate_kb(kb_copy)
    assert [f.file for f in relative.findings] == [str(Path("kb") / "agents" / "typo.yaml")]
    assert [(f.line, f.code) for f in relative.findings] == [
        (f.line, f.code) for f in absolute.findings]


def test_empty_kb(tmp_path: Path) -> None:
    assert validate_kb(tmp_path) == Report([], files=0, records=0, claims=0)


def test_rules_are_well_formed() -> None:
    assert all(code == rule.code and code.startswith("KB") and len(code) == 5
               for code, rule in RULES.items())
    assert {rule.severity for rule in RULES.values()} == {ERROR, WARNING}
    assert len({rule.name for rule in RULES.values()}) == len(RULES)
