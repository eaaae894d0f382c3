"""Which KB a command uses when none is given: found from the working directory as git finds
`.git`, then $KETAKB_KB, then the bundled copy, and never writing into an installed package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ketakb import locate_kb, project_kb
from ketakb.cli import app
from tests.conftest import VALID_KB

ROOT = Path(__file__).resolve().parent.parent
#: A record with one error (an unknown field) and nothing else wrong.
TYPO = "id: typo\nname: Typo\nsummary: s\nnmae: x\n"

runner = CliRunner()


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return runner.invoke(app, list(args), env={"GITHUB_ACTIONS": None, "KETAKB_KB": None,
                                               **(env or {})})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A curator's clone: kb/ holds a broken record, and there is a docs/ folder beside it."""
    root = tmp_path / "project"
    shutil.copytree(VALID_KB, root / "kb")
    (root / "kb" / "agents" / "typo.yaml").write_text(TYPO, encoding="utf-8")
    (root / "docs" / "notes").mkdir(parents=True)
    return root


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no ketakb project in it or above it."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert project_kb() is None
    return folder


# -- discovery --------------------------------------------------------------------------------

@pytest.mark.parametrize("where", [".", "kb", "kb/agents", "docs/notes"])
def test_validate_checks_the_project_kb_found_from_the_working_directory(
        project: Path, where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not the bundled copy, not $KETAKB_KB: the clone's own kb/, as its curator expects."""
    monkeypatch.chdir(project / where)
    result = invoke("validate", env={"KETAKB_KB": str(VALID_KB)})
    assert result.exit_code == 1, result.output
    assert "KB021 unknown field 'nmae'" in result.stdout
    assert result.stderr == f"checked KB: {project / 'kb'} (found from the working directory)\n"


def test_an_unrelated_kb_folder_is_passed_over(project: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A kb/ with no kind folder in it is not a ketakb project's: the search goes on up."""
    inner = project / "docs" / "kb"
    inner.mkdir()
    (inner / "notes.txt").write_text("not records\n", encoding="utf-8")
    monkeypatch.chdir(project / "docs")
    assert project_kb() == project / "kb"
    monkeypatch.chdir(inner)
    assert locate_kb().path == project / "kb"


def test_environment_comes_after_discovery_and_before_the_bundled_kb(
        project: Path, elsewhere: Path) -> None:
    result = invoke("validate", env={"KETAKB_KB": str(project / "kb")})
    assert result.exit_code == 1 and "KB021" in result.stdout
    assert result.stderr == f"checked KB: {project / 'kb'} (from $KETAKB_KB)\n"
    bundled = invoke("validate")
    assert bundled.stderr.endswith("(the bundled KB)\n")


def test_a_given_kb_wins(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    for args in (["validate", str(VALID_KB)], ["validate", "--kb", str(VALID_KB)]):
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        assert result.stderr == f"checked KB: {VALID_KB} (given on the command line)\n"


def test_queries_and_export_use_the_found_kb(project: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "kb" / "agents" / "typo.yaml").unlink()
    (project / "kb" / "agents" / "only-here.yaml").write_text(
        "id: only-here\nname: Only here\nsummary: s\n", encoding="utf-8")
    monkeypatch.chdir(project / "docs")
    shown = invoke("show", "only-here")
    assert shown.exit_code == 0, shown.output
    assert "Only here" in shown.stdout
    exported = invoke("export", "--format", "jsonl", "--out", "-")
    assert exported.exit_code == 0, exported.output
    assert '"only-here"' in exported.stdout


# -- usage errors -----------------------------------------------------------------------------

def test_validate_given_a_file_says_it_takes_the_folder() -> None:
    record = VALID_KB / "agents" / "ketamine.yaml"
    for args in (["validate", str(record)], ["validate", "--kb", str(record)]):
        result = invoke(*args)
        assert result.exit_code == 2
        assert f"'{record}' is a file: validate takes the KB folder" in result.stderr
        assert "run `ketakb validate DIR`" in result.stderr
        assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["/nonexistent/kb", str(VALID_KB / "agents" / "ketamine.yaml")])
def test_a_bad_environment_variable_is_named(elsewhere: Path, value: str) -> None:
    for command in (["validate"], ["show", "ketamine"], ["new", "agent", "x"]):
        result = invoke(*command, env={"KETAKB_KB": value})
        assert result.exit_code == 2, result.output
        assert f"Invalid value for $KETAKB_KB: '{value}'" in result.stderr
        assert "Invalid value for --kb" not in result.stderr


# -- the installed package's copy ---------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ketakb laid out as a wheel installs it: the package, its KB copy inside it."""
    folder = tmp_path_factory.mktemp("site-packages")
    shutil.copytree(ROOT / "ketakb", folder / "ketakb",
                    ignore=shutil.ignore_patterns("__pycache__", "kb"))
    shutil.copytree(VALID_KB, folder / "ketakb" / "kb")
    return folder


def installed(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the copy in `site` as its console script would, from `cwd`."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("KETAKB_KB", "GITHUB_ACTIONS")}
    env["PYTHONPATH"] = str(site)
    code = "import ketakb.cli; ketakb.cli.main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, text=True,
                          capture_output=True, check=False, timeout=120)


def test_an_installed_copy_validates_the_clone_it_is_run_in(site: Path, project: Path) -> None:
    """After `pip install .`, `ketakb validate` in the clone checks the clone's kb/."""
    result = installed(site, "validate", cwd=project / "docs")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "KB021" in result.stdout
    assert result.stderr == f"checked KB: {project / 'kb'} (found from the working directory)\n"


def test_the_installed_copy_is_not_found_from_the_working_directory(site: Path) -> None:
    result = installed(site, "validate", cwd=site / "ketakb" / "kb" / "agents")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == f"checked KB: {site / 'ketakb' / 'kb'} (the bundled KB)\n"


def test_new_and_fmt_never_write_into_the_installed_package(site: Path, tmp_path: Path) -> None:
    copy = site / "ketakb" / "kb"
    before = sorted(p.relative_to(copy) for p in copy.rglob("*"))
    for args in (["new", "agent", "esketamine"], ["fmt"], ["fmt", str(copy / "agents")],
                 ["new", "agent", "esketamine", "--kb", str(copy)]):
        result = installed(site, *args, cwd=tmp_path)
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"refusing to write into the installed package's KB ({copy})" in result.stderr
    assert sorted(p.relative_to(copy) for p in copy.rglob("*")) == before
    checked = installed(site, "fmt", "--check", cwd=tmp_path)  # reading it is fine
    assert checked.returncode in (0, 1) and "refusing" not in checked.stderr

