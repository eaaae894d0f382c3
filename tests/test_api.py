"""The public library API: what `import ketakb` offers, typed and cheap, as the README's "Use
from Python" documents it (its example is run here), and what the wheel and CHANGELOG say of it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

import ketakb
from ketakb import findings
from ketakb.pipeline import validation
from ketakb.query import queries
from tests.conftest import ARCHIVES, VALID_KB

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CHANGELOG = ROOT / "CHANGELOG.md"
AsGiven = Callable[[Path], "str | os.PathLike[str]"]
HEAVY = ("pydantic", "yaml", "sqlite3", "typer", "rich", "ketakb.findings",
         "ketakb.pipeline.validation", "ketakb.pipeline.store", "ketakb.pipeline.build",
         "ketakb.pipeline.scope", "ketakb.query.queries")


class Folder:
    """An `os.PathLike` that is neither `str` nor `Path`, as a user's own path type may be."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __fspath__(self) -> str:
        return str(self.path)


def test_import_ketakb_is_light() -> None:
    """`import ketakb` (and so `ketakb --help`) pays for none of the heavy modules."""
    code = "import sys, ketakb; print('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    loaded = set(done.stdout.split())
    assert "ketakb" in loaded
    assert not loaded & set(HEAVY)


def test_public_names_are_the_modules_own() -> None:
    assert (ketakb.validate_kb, ketakb.Report) == (validation.validate_kb, validation.Report)
    assert (ketakb.KnowledgeBase, ketakb.NotFound) == (queries.KnowledgeBase, queries.NotFound)
    assert ketakb.Finding is findings.Finding
    assert all(hasattr(ketakb, name) for name in ketakb.__all__)


def test_an_unknown_name_is_not_there() -> None:
    with pytest.raises(AttributeError, match="'ketakb' has no attribute 'validate'"):
        getattr(ketakb, "validate")  # noqa: B009 - the name is the point
    with pytest.raises(ImportError):
        exec("from ketakb import validate", {})


@pytest.mark.parametrize("as_given", [str, Path, Folder], ids=["str", "Path", "PathLike"])
def test_validate_kb_takes_any_path(as_given: AsGiven) -> None:
    report = ketakb.validate_kb(as_given(VALID_KB), sources_dir=as_given(ARCHIVES),
                                use_cache=False)
    assert report == ketakb.Report([], files=7, records=7, claims=4)


def test_validate_kb_checks_the_kb_a_command_would(kb_copy: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (kb_copy / "agents" / "typo.yaml").write_text("id: typo\nname: T\nsummary: s\nnmae: x\n")
    monkeypatch.chdir(kb_copy.parent)
    [finding] = ketakb.validate_kb().findings
    assert (finding.file, finding.code) == (str(Path("kb", "agents", "typo.yaml")), "KB021")


@pytest.mark.parametrize("as_given", [str, Folder], ids=["str", "PathLike"])
def test_a_kb_opens_from_any_path(as_given: AsGiven) -> None:
    with ketakb.open_kb(as_given(VALID_KB)) as kb:
        assert kb.lookup("ketamine").id == "ketamine"
    with ketakb.KnowledgeBase.open(as_given(VALID_KB)) as kb:
        assert kb.lookup("ketamine").id == "ketamine"


def readme_example() -> tuple[str, str]:
    """The code of the README's "Use from Python" example and the output it shows."""
    section = README.read_text(encoding="utf-8").split("## Use from Python\n", 1)[1]
    found = re.match(r".*?```python\n(.*?)```\n.*?```text\n(.*?)```", section, flags=re.DOTALL)
    assert found, "the README's 'Use from Python' holds a ```python block, then a ```text one"
    return found.group(1), found.group(2)


def test_readme_example_prints_what_it_shows(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    code, shown = readme_example()
    monkeypatch.chdir(ketakb.bundled_kb().parent)  # "from a clone"
    exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})
    printed = capsys.readouterr().out
    assert printed == shown, ("the README's 'Use from Python' output is out of step; refresh "
                              "it with `python -m tests.test_readme`, or paste this into its "
                              f"```text block:\n{printed}")


def test_mypy_sees_the_api_types(tmp_path: Path) -> None:
    """As a user's project sees the installed package: typed (py.typed), with each public
    name's real type, so the README example is clean and a wrong use is an error."""
    code, _ = readme_example()
    (tmp_path / "example.py").write_text(code, encoding="utf-8")
    (tmp_path / "misuse.py").write_text(
        "import ketakb\n"
        "count: int = ketakb.validate_kb('kb')\n"
        "ketakb.validate('kb')\n", encoding="utf-8")
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         "--python-executable", sys.executable, "example.py", "misuse.py"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "MYPY_CACHE_DIR": str(tmp_path / "cache")})
    errors = [line.split(" error: ")[0] + " " + line.rsplit("[", 1)[-1]
              for line in checked.stdout.splitlines() if " error: " in line]
    assert errors == ["misuse.py:2: assignment]", "misuse.py:3: attr-defined]"], checked.stdout


def test_wheel_is_typed_and_versioned_once(tmp_path: Path) -> None:
    build = "import sys, hatchling.build as b; sys.stdout.write(b.build_wheel(sys.argv[1]))"
    built = subprocess.run([sys.executable, "-c", build, str(tmp_path)], cwd=ROOT, text=True,
                           capture_output=True, check=False, timeout=120)
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(tmp_path / built.stdout) as wheel:
        names = wheel.namelist()
        [metadata] = [name for name in names if name.endswith(".dist-info/METADATA")]
        version = re.search(r"^Version: (.*)$", wheel.read(metadata).decode(), re.MULTILINE)
    assert "ketakb/py.typed" in names
    assert version and version.group(1) == ketakb.__version__


KINDS_OF_CHANGE = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_changelog_keeps_a_changelog() -> None:
    """Keep a Changelog 1.1.0: Unreleased first, then the releases newest first, the newest
    being the version the package says it is; changes grouped under the six kinds."""
    text = CHANGELOG.read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    releases = re.findall(r"^## \[(.+?)\](.*)$", text, flags=re.MULTILINE)
    assert releases[0] == ("Unreleased", "")
    versions = [tuple(int(n) for n in v.split(".")) for v, _ in releases[1:]]
    assert versions and versions == sorted(versions, reverse=True)
    assert releases[1][0] == ketakb.__version__
    assert all(re.fullmatch(r" - \d{4}-\d\d-\d\d", date) for _, date in releases[1:])
    assert set(re.findall(r"^### (.*)$", text, flags=re.MULTILINE)) <= KINDS_OF_CHANGE
    assert "[CHANGELOG.md](CHANGELOG.md)" in README.read_text(encoding="utf-8")
