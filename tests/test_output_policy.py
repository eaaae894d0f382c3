"""One output policy for every command: text from records is shown, never obeyed, and never
spans lines; JSON escapes what a terminal would obey; internal errors, --debug and --version
behave alike everywhere; output survives a non-UTF-8 terminal; files get the user's umask."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner, Result

from ketakb.cli import app, main
from tests.conftest import DATA, VALID_KB

QUERY_KB = DATA / "query-kb"

runner = CliRunner()

#: What must never reach a terminal raw: C0 but LF, DEL, C1, bidi controls, U+2028/9.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
#: A key that tries a hyperlink (OSC 8), a bell, a one-byte CSI, clear-screen, and a newline
#: followed by a line that looks like a finding and one that looks like a workflow command.
HOSTILE_KEY = ("a→\\e]8;;http://evil.example\\a link \\e]8;;\\a \\x9b2J \\e[2J \\u202e"
               "\\nkb/agents/ketamine.yaml:1:1: KB999 forged\\n::error::forged")
HOSTILE_RECORD = f'id: hostile\nname: H\nsummary: s\n"{HOSTILE_KEY}": 1\n'
FORGED = re.compile(r"^(kb/agents/ketamine\.yaml:1:1: KB999|::error::forged)", re.MULTILINE)


def invoke(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"GITHUB_ACTIONS": None, "NO_COLOR": "1"})


def assert_inert(text: str) -> None:
    """Nothing a terminal obeys, and no line forged by the data."""
    assert not RAW.findall(text), RAW.findall(text)
    assert not FORGED.search(text), text


@pytest.fixture
def hostile_kb(kb_copy: Path) -> Path:
    """The valid KB plus a record whose unknown key is hostile (an error finding)."""
    (kb_copy / "agents" / "hostile.yaml").write_text(HOSTILE_RECORD, encoding="utf-8")
    return kb_copy


@pytest.fixture
def hostile_values_kb(kb_copy: Path) -> Path:
    """A valid KB whose record text holds C1 CSI, OSC 8, ESC and a bidi override."""
    agent = kb_copy / "agents" / "ketamine.yaml"
    agent.write_text(agent.read_text(encoding="utf-8").replace(
        "name: Ketamine", 'name: "Ket\\x9bamine é→ \\e]8;;http://evil\\a\\u202e"'),
        encoding="utf-8")
    source = kb_copy / "sources" / "berman-2000.yaml"
    source.write_text(source.read_text(encoding="utf-8").replace(
        "title: Antidepressant effects", 'title: "Anti\\x9b2J \\e[2J effects'
        ).replace("depressed patients", 'depressed patients"'), encoding="utf-8")
    return kb_copy


# -- findings -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "github", "json"])
def test_validate_output_is_inert(hostile_kb: Path, fmt: str) -> None:
    result = invoke("validate", str(hostile_kb), "--format", fmt)
    assert result.exit_code == 1
    assert_inert(result.stdout)
    if fmt == "json":
        [finding] = json.loads(result.stdout)["findings"]
        assert "\x9b2J" in finding["message"] and "\n::error::forged" in finding["message"]
    else:
        assert "\\x9b2J \\x1b[2J \\u202e\\nkb/agents/ketamine.yaml:1:1: KB999" in result.stdout


def test_each_text_finding_is_one_line(hostile_kb: Path) -> None:
    lines = invoke("validate", str(hostile_kb), "--format", "text").stdout.splitlines()
    assert len(lines) == 3  # the finding, its hint, the summary
    assert lines[0].startswith(f"{hostile_kb}/agents/hostile.yaml:4:1: KB021 unknown field")


def test_github_annotations_are_one_command_each(hostile_kb: Path) -> None:
    out = invoke("validate", str(hostile_kb), "-f", "github").stdout
    annotation, summary = out.split("\n")[:-1]
    assert annotation.startswith("::error file=") and summary.startswith("1 error, ")


@pytest.mark.parametrize("command", [("export", "-f", "json"), ("site",)])
def test_refusal_lists_findings_inertly(command: tuple[str, ...], hostile_kb: Path,
                                        tmp_path: Path) -> None:
    """Commands that refuse a KB with errors list them through the reporters."""
    result = invoke(*command, "-o", str(tmp_path / "out"), "--kb", str(hostile_kb))
    assert result.exit_code == 1
    assert_inert(result.stderr)
    assert f"{hostile_kb}/agents/hostile.yaml:4:1: KB021 unknown field 'a→\\x1b]8;;" \
        in result.stderr


def test_fmt_left_alone_reason_is_inert(hostile_kb: Path) -> None:
    result = invoke("fmt", str(hostile_kb / "agents" / "hostile.yaml"))
    assert result.exit_code == 1
    assert_inert(result.stderr)
    assert "KB021 unknown field 'a→\\x1b]8;;" in result.stderr


def test_new_echoes_arguments_inertly(kb_copy: Path) -> None:
    result = invoke("new", "agent", "x\x1b[2J\x9b\nkb/agents/ketamine.yaml:1:1: KB999 forged",
                    "--kb", str(kb_copy))
    assert result.exit_code == 2
    assert_inert(result.stderr)
    assert "invalid id 'x\\x1b[2J\\x9b\\nkb/agents" in result.stderr


# -- query output ---------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("show", "ketamine", "-f", "json"),
    ("cite", "berman-2000", "--style", "csl-json"),
    ("graph", "-f", "json"),
    ("show", "ketamine"),
    ("cite", "berman-2000"),
    ("list", "-f", "json"),
    ("show", "ketamine", "-f", "yaml"),
])
def test_query_output_is_inert(hostile_values_kb: Path, args: tuple[str, ...]) -> None:
    result = invoke(*args, "--kb", str(hostile_values_kb))
    assert result.exit_code == 0, result.output
    assert_inert(result.stdout)
    assert re.search(r"\\(x9b|u009b)", result.stdout, re.IGNORECASE)


def test_json_and_yaml_output_keep_the_value(hostile_values_kb: Path) -> None:
    """Escaped, not removed: the JSON and the YAML read back to the record's text."""
    import yaml

    args = ("show", "ketamine", "--kb", str(hostile_values_kb), "-f")
    shown = json.loads(invoke(*args, "json").stdout)
    assert shown["name"] == "Ket\x9bamine é→ \x1b]8;;http://evil\x07\u202e"
    assert yaml.safe_load(invoke(*args, "yaml").stdout) == shown


def test_json_text_escapes_only_inside_strings() -> None:
    from ketakb.terminal import json_text

    value = {"k\x9b": ["\u2028", "\udcff", "é·→"], "n": 1}
    text = json_text(value, indent=2)
    assert "\n  " in text and "é·→" in text
    assert not RAW.findall(text) and "\udcff" not in text
    assert json.loads(text) == value


def test_safe_text_keeps_ordinary_text() -> None:
    from ketakb.terminal import safe_text

    assert safe_text("Ketamin · NMDA → Ψ ö 中") == "Ketamin · NMDA → Ψ ö 中"
    assert safe_text("a\tb\r\nc\x7f\x85\u2066\udcff") == "a\\tb\\r\\nc\\x7f\\x85\\u2066\\udcff"



# -- the same frame for every command: --debug, --version, internal errors --------------------

COMMANDS = sorted(typer.main.get_command(app).commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_accepts_debug(command: str) -> None:
    """The internal-error message says "run again with --debug": every command must take it."""
    assert invoke(command, "--debug", "--help").exit_code == 0
    assert invoke("--debug", command, "--help").exit_code == 0


def test_version() -> None:
    from ketakb import __version__

    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout == f"ketakb {__version__}\n"
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r"(?m)^version\s*=", pyproject) is None  # one version, in __init__.py


def _explode(*args: object, **kwargs: object) -> None:
    raise RuntimeError("bug with \x1b[2J and\nketakb: forged line")


@pytest.mark.parametrize("debug_first", [False, True])
def test_internal_error_has_its_own_exit_code(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        debug_first: bool) -> None:
    """Exit 3, not the usage code 2; one escaped line; --debug anywhere lets it through."""
    monkeypatch.setattr("ketakb.query.queries.KnowledgeBase.show", _explode)
    monkeypatch.setattr(sys, "argv", ["ketakb", "show", "ketamine", "--kb", str(VALID_KB)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 3
    assert capsys.readouterr().err == (
        "ketakb: internal error: RuntimeError: bug with \\x1b[2J and\\nketakb: forged line\n"
        "  run again with --debug for the traceback\n")
    argv = (["ketakb", "--debug", "show", "ketamine"] if debug_first
            else ["ketakb", "show", "ketamine", "--debug"])
    monkeypatch.setattr(sys, "argv", [*argv, "--kb", str(VALID_KB)])
    with pytest.raises(RuntimeError, match="bug with"):
        main()


# -- output encodings that lack `·` and `→` ---------------------------------------------------


def _ketakb(*args: str, encoding: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": encoding, "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run([sys.executable, "-m", "ketakb", *args], env=env,
                          capture_output=True, timeout=120, check=False)


@pytest.mark.parametrize(("encoding", "commands"), [
    ("ascii", ("show", "explain", "claims", "stats", "validate")),
    ("latin-1", ("explain",)),  # latin-1 has `·` but no `→`
])
def test_output_degrades_without_unicode(encoding: str, commands: tuple[str, ...],
                                         hostile_kb: Path) -> None:
    """Under a C locale or a Windows console the text gets escapes instead of a crash."""
    kb = ("--kb", str(QUERY_KB))
    runs = {
        "show": (("show", "ketamine", *kb), 0),
        "explain": (("explain", "rapid-antidepressant-effect", *kb), 0),
        "claims": (("claims", *kb), 0),
        "stats": (("stats", *kb), 0),
        "validate": (("validate", str(hostile_kb)), 1),
    }
    for command in commands:
        args, code = runs[command]
        result = _ketakb(*args, encoding=encoding)
        assert result.returncode == code, (args, result.stderr)
        assert b"Error" not in result.stderr and b"internal error" not in result.stderr
        if command in ("explain", "validate"):  # the tree's `→`, the hostile key's
            assert "\\u2192" in result.stdout.decode(encoding), args


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_json_and_yaml_stay_readable_without_unicode(encoding: str, kb_copy: Path) -> None:
    """JSON and YAML fall back to their own escapes, never to Python's `\\xe9`."""
    import yaml

    agent = kb_copy / "agents" / "ketamine.yaml"
    agent.write_text(agent.read_text(encoding="utf-8").replace(
        "name: Ketamine", "name: Ketamine é→"), encoding="utf-8")
    args = ("show", "ketamine", "--kb", str(kb_copy), "-f")
    expected = json.loads(invoke(*args, "json").stdout)
    assert expected["name"] == "Ketamine é→"
    for fmt, load in (("json", json.loads), ("yaml", yaml.safe_load)):
        result = _ketakb(*args, fmt, encoding=encoding)
        assert result.returncode == 0
        assert load(result.stdout.decode(encoding)) == expected


# -- files get the permissions a plain open() would give them ---------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("umask_022")
@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "sqlite", "kgx"])
def test_exports_follow_the_umask(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("export", "-f", fmt, "-o", str(out), "--kb", str(VALID_KB)).exit_code == 0
    files = list(out.iterdir()) if out.is_dir() else [out]
    assert files and {oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {"0o644"}


@pytest.mark.usefixtures("umask_022")
def test_rewriting_keeps_a_files_own_mode(kb_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("{}", encoding="utf-8")
    out.chmod(0o640)
    assert invoke("export", "-f", "json", "-o", str(out), "--kb", str(kb_copy)).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    record = kb_copy / "agents" / "ketamine.yaml"
    record.write_text(record.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    record.chmod(0o600)
    result = invoke("fmt", str(record))
    assert result.exit_code == 0 and result.stdout.startswith("reformatted ")
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert not list(record.parent.glob(".*.tmp"))
