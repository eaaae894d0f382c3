"""`ketakb validate` and `ketakb rules` as a user and CI see them: exit codes and output formats."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketakb.cli import app, main
from ketakb.findings import RULES, Finding
from ketakb.output.reporters import github_annotation, report_text
from ketakb.pipeline.validation import Report, validate_kb
from tests.conftest import ARCHIVES, VALID_KB

REPO = Path(__file__).resolve().parent.parent
PLAIN_LINE = re.compile(r"^(?P<file>[^\n]+):(?P<line>\d+):(?P<column>\d+): (?P<code>KB\d{3}) \S")
SUMMARY = re.compile(r"^\d+ errors?, \d+ warnings? in \d+ files? \(\d+ records?, \d+ claims?\)$")
#: A record with one error (an unknown field) and nothing else wrong.
TYPO = "id: typo\nname: Typo\nsummary: s\nnmae: x\n"

runner = CliRunner()
Write = Callable[[str, str], Path]


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the CLI as CI does (no GITHUB_ACTIONS unless given), returning code and stdout."""
    environment: dict[str, str | None] = {"GITHUB_ACTIONS": None, **(env or {})}
    result = runner.invoke(app, list(args), env=environment)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception)
    return result.exit_code, result.stdout


# -- exit codes ---------------------------------------------------------------------------

def test_clean_kb_exits_0() -> None:
    code, out = invoke("validate", str(VALID_KB), "--sources-dir", str(ARCHIVES), "--strict")
    assert code == 0
    assert out == "0 errors, 0 warnings in 7 files (7 records, 4 claims)\n"


def test_findings_exit_1(kb_copy: Path, write_record: Write) -> None:
    write_record("agents/typo.yaml", TYPO)
    code, out = invoke("validate", str(kb_copy))
    assert code == 1
    assert "KB021 unknown field 'nmae'" in out


@pytest.mark.parametrize("args", [
    ["validate", "--kb", "/nonexistent/kb"],
    ["validate", "/nonexistent/kb"],
    ["validate", str(VALID_KB / "agents" / "ketamine.yaml")],
    ["validate", str(VALID_KB), "--sources-dir", "/nonexistent/archives"],
    ["validate", str(VALID_KB), "--no-such-option"],
    ["validate", str(VALID_KB), "--format", "xml"],
    ["no-such-command"],
])
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_kb_from_environment(kb_copy: Path, write_record: Write,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(kb_copy.parent.parent)  # no project kb/ here: discovery comes first
    write_record("agents/typo.yaml", TYPO)
    assert invoke("validate", env={"KETAKB_KB": str(kb_copy)})[0] == 1
    assert invoke("validate", "--kb", str(VALID_KB), env={"KETAKB_KB": str(kb_copy)})[0] == 0
    assert invoke("validate", env={"KETAKB_KB": "/nonexistent/kb"})[0] == 2


def test_strict_fails_on_warnings_only(kb_copy: Path, write_record: Write) -> None:
    write_record("conditions/bipolar-depression.yaml",
                 "id: bipolar-depression\nname: Bipolar depression\nsummary: s\n")
    code, out = invoke("validate", str(kb_copy), "--sources-dir", str(ARCHIVES))
    assert code == 0
    assert "KB051" in out and out.endswith("0 errors, 1 warning in 8 files (8 records, 4 claims)\n")
    assert invoke("validate", str(kb_copy), "--sources-dir", str(ARCHIVES), "--strict")[0] == 1


# -- formats ------------------------------------------------------------------------------

def test_json_report_shape(kb_copy: Path, write_record: Write) -> None:
    write_record("conditions/bipolar-depression.yaml",
                 "id: bipolar-depression\nname: Bipolar depression\nsummary: s\n")
    code, out = invoke("validate", str(kb_copy), "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["ok"] is True and document["warnings"] == 1
    assert document["findings"][0]["severity"] == "warning"
    write_record("agents/typo.yaml", TYPO)  # an error; orphans are not judged beside one
    code, out = invoke("validate", str(kb_copy), "-f", "json")
    document = json.loads(out)
    assert code == 1
    assert set(document) == {"ok", "errors", "warnings", "findings"}
    assert document["ok"] is False and document["errors"] == 1 and document["warnings"] == 0
    [finding] = document["findings"]
    assert finding == {
        "code": "KB021", "severity": "error", "file": str(kb_copy / "agents" / "typo.yaml"),
        "line": 4, "column": 1, "message": "unknown field 'nmae'",
        "hint": "did you mean 'name'?",
    }


def test_json_counts_match_findings(kb_copy: Path, write_record: Write) -> None:
    write_record("agents/typo.yaml", TYPO + "sumary: x\n")
    write_record("sources/uncited.yaml",
                 "id: uncited\ntitle: T\ntype: web-page\ndesign: web-page\n")
    write_record("agents/broken.yaml", "id: [\n")
    document = json.loads(invoke("validate", str(kb_copy), "--format", "json")[1])
    severities = [f["severity"] for f in document["findings"]]
    assert document["errors"] == severities.count("error") == 3
    assert document["warnings"] == severities.count("warning")
    places = [(f["file"], f["line"], f["column"], f["code"]) for f in document["findings"]]
    assert places == sorted(places)


def _finding(message: str, file: str = "kb/agents/x.yaml", hint: str = "") -> Finding:
    return Finding(file, 3, 5, "KB021", message, hint)


def test_github_annotation_escaping() -> None:
    """Data shows CR LF as escapes and encodes %; properties also escape : and , (as
    @actions/core does)."""
    finding = _finding("100% of 'a,b:c'\r\nsecond line", file="k,b:%/x.yaml", hint="fix: it")
    assert github_annotation(finding) == (
        "::error file=k%2Cb%3A%25/x.yaml,line=3,col=5,title=KB021"
        "::100%25 of 'a,b:c'\\r\\nsecond line (hint: fix: it)")
    warning = Finding("a.yaml", 1, 1, "KB051", "no claim involves 'a'")
    assert github_annotation(warning) == "::warning file=a.yaml,line=1,col=1,title=KB051" \
        "::no claim involves 'a'"


def test_github_format_through_the_cli(tmp_path: Path) -> None:
    kb = tmp_path / "k,b:1"
    kb.mkdir()
    (kb / "agents").mkdir()
    (kb / "agents" / "weird.yaml").write_text(
        'id: weird\nname: W\nsummary: s\n"50%,a:b\\nc": 1\n', encoding="utf-8")
    code, out = invoke("validate", str(kb), "--format", "github")
    assert code == 1
    *annotations, summary = out.splitlines()
    escaped_kb = str(kb).replace(",", "%2C").replace(":", "%3A")
    assert annotations == [
        f"::error file={escaped_kb}/agents/weird.yaml,line=4,col=1,title=KB021"
        "::unknown field '50%25,a:b\\nc' (hint: allowed here: claims, class, id, name, notes, "
        "regulatory, summary, synonyms, xrefs)"]
    assert SUMMARY.match(summary)


def test_github_chosen_when_github_actions_is_set(kb_copy: Path, write_record: Write) -> None:
    write_record("agents/typo.yaml", TYPO)
    code, out = invoke("validate", str(kb_copy), env={"GITHUB_ACTIONS": "true"})
    assert code == 1
    assert out.startswith("::error file=")
    assert invoke("validate", str(kb_copy), "-f", "text",
                  env={"GITHUB_ACTIONS": "true"})[1].startswith(str(kb_copy))
    assert invoke("validate", str(kb_copy), env={"GITHUB_ACTIONS": "false"})[1].startswith(
        str(kb_copy))


def test_piped_text_is_one_line_per_finding(kb_copy: Path, write_record: Write) -> None:
    """file:line:col: CODE message, never wrapped, whatever the terminal width says."""
    long_key = "x" * 300
    write_record("agents/typo.yaml", TYPO)
    write_record("agents/long.yaml", f"id: long\nname: L\nsummary: s\n{long_key}: 1\n")
    code, out = invoke("validate", str(kb_copy), env={"COLUMNS": "40"})
    assert code == 1
    lines = out.splitlines()
    assert SUMMARY.match(lines[-1])
    for line in lines[:-1]:
        assert PLAIN_LINE.match(line) or line.startswith("  hint: "), line
    long_lines = [line for line in lines if long_key in line]
    assert len(long_lines) == 1
    assert long_lines[0].endswith(f": KB021 unknown field '{long_key}'")
    assert "\x1b" not in out


def test_text_shows_control_characters_as_escapes(kb_copy: Path, write_record: Write) -> None:
    """A record cannot move the cursor or colour the terminal through a message."""
    write_record("agents/escape.yaml", 'id: escape\nname: E\nsummary: s\n"\\e[31mred": 1\n')
    out = invoke("validate", str(kb_copy))[1]
    assert "\x1b" not in out
    assert "unknown field '\\x1b[31mred'" in out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _report() -> Report:
    return Report([_finding("unknown field 'nmae'", hint="did you mean 'name'?")], 1, 0, 0)


def test_colour_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    out = _Terminal()
    report_text(_report(), out)
    assert "\x1b[" in out.getvalue()
    assert "KB021" in out.getvalue()


def test_no_color_gives_plain_lines_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    out = _Terminal()
    report_text(_report(), out)
    assert out.getvalue() == (
        "kb/agents/x.yaml:3:5: KB021 unknown field 'nmae'\n"
        "  hint: did you mean 'name'?\n"
        "1 error, 0 warnings in 1 file (0 records, 0 claims)\n")


# -- rules, debug, tracebacks -------------------------------------------------------------

def test_rules_lists_every_code() -> None:
    code, out = invoke("rules")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == list(RULES)
    for line, rule in zip(lines, RULES.values(), strict=True):
        assert line.split()[1] == rule.severity
        assert line.endswith(rule.summary)


@pytest.mark.usefixtures("explode_on_ketamine")
def test_internal_error_in_one_file_is_a_finding() -> None:
    code, out = invoke("validate", str(VALID_KB), "--no-cache")
    assert code == 1
    assert "KB099 internal error: RuntimeError: boom" in out
    assert "Traceback" not in out


@pytest.mark.usefixtures("explode_on_ketamine")
def test_debug_puts_the_traceback_in_the_finding() -> None:
    code, out = invoke("validate", str(VALID_KB), "--no-cache", "--debug", "-f", "json")
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert finding["code"] == "KB099"
    assert "Traceback (most recent call last)" in finding["message"]
    assert 'raise RuntimeError("boom")' in finding["message"]


def _crash(*args: object, **kwargs: object) -> Report:
    raise RuntimeError("the whole run failed")


def test_user_never_sees_a_traceback(monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Even an error outside any one file ends in a one-line message and exit code 3."""
    monkeypatch.setattr("ketakb.pipeline.validation.validate_kb", _crash)
    monkeypatch.setattr(sys, "argv", ["ketakb", "validate", str(VALID_KB)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 3
    err = capsys.readouterr().err
    assert err == ("ketakb: internal error: RuntimeError: the whole run failed\n"
                   "  run again with --debug for the traceback\n")


def test_debug_lets_the_traceback_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ketakb.pipeline.validation.validate_kb", _crash)
    monkeypatch.setattr(sys, "argv", ["ketakb", "validate", str(VALID_KB), "--debug"])
    with pytest.raises(RuntimeError, match="the whole run failed"):
        main()


def test_library_and_cli_agree(kb_copy: Path, write_record: Write) -> None:
    write_record("agents/typo.yaml", TYPO)
    report = validate_kb(kb_copy)
    document = json.loads(invoke("validate", str(kb_copy), "-f", "json")[1])
    assert document["findings"] == [f.as_json() for f in report.findings]


# -- the installed command ----------------------------------------------------------------

def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def test_console_script() -> None:
    beside_python = Path(sys.executable).with_name("ketakb")
    script = str(beside_python) if beside_python.exists() else shutil.which("ketakb")
    assert script is not None, "the ketakb console script is not installed"
    result = _run(script, "validate", "tests/data/valid-kb", "--sources-dir",
                  "tests/data/archives", "--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "0 errors, 0 warnings in 7 files (7 records, 4 claims)\n"
    assert result.stderr == "checked KB: tests/data/valid-kb (given on the command line)\n"


def test_python_dash_m() -> None:
    result = _run(sys.executable, "-m", "ketakb", "--help")
    assert result.returncode == 0, result.stderr
    assert "validate" in result.stdout and "rules" in result.stdout
