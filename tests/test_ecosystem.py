"""The contributor tooling: pre-commit hooks, the CI workflow, editor settings, completion."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ketakb import vocab
from tests.conftest import VALID_KB

ROOT = Path(__file__).resolve().parent.parent


def ketakb_command() -> list[str]:
    """The installed `ketakb` script (beside this Python first), else `python -m ketakb`."""
    beside = Path(sys.executable).parent / "ketakb"
    found = str(beside) if beside.is_file() else shutil.which("ketakb")
    return [found] if found else [sys.executable, "-m", "ketakb"]


def run_entry(entry: str, args: list[str], cwd: Path,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    words = shlex.split(entry)
    assert words[0] == "ketakb"
    return subprocess.run([*ketakb_command(), *words[1:], *args], cwd=cwd, text=True,
                          capture_output=True, env={**os.environ, **(env or {})}, check=False)


def hooks() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return {hook["id"]: hook for hook in data}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository that uses the hooks: its KB under kb/, plus files the hooks must skip."""
    shutil.copytree(VALID_KB, tmp_path / "kb")
    (tmp_path / "README.md").write_text("# my kb\n", encoding="utf-8")
    return tmp_path


def staged(repo: Path, hook: dict[str, Any]) -> list[str]:
    """The files pre-commit would pass: those matching the hook's `files` pattern."""
    files = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file())
    return [f for f in files if re.search(hook["files"], f)]


def test_hook_definitions() -> None:
    defined = hooks()
    assert set(defined) == {"ketakb-validate", "ketakb-fmt"}
    validate = defined["ketakb-validate"]
    assert validate["entry"] == "ketakb validate" and validate["language"] == "python"
    assert validate["pass_filenames"] is False and validate["require_serial"] is True
    assert defined["ketakb-fmt"]["entry"] == "ketakb fmt"
    for hook in defined.values():
        assert re.search(hook["files"], "kb/agents/ketamine.yaml")
        assert not re.search(hook["files"], "README.md")
        assert not re.search(hook["files"], "docs/kb.yaml")


def test_validate_hook_passes_then_fails_on_a_broken_record(repo: Path) -> None:
    hook = hooks()["ketakb-validate"]
    assert staged(repo, hook)  # the hook runs when a record changes
    result = run_entry(hook["entry"], hook.get("args", []), repo)
    assert result.returncode == 0, result.stdout + result.stderr
    (repo / "kb" / "effects" / "rapid-antidepressant-effect.yaml").write_text(
        "id: rapid-antidepressant-effect\nname: Rapid\ntype: magical\nsummary: S\n",
        encoding="utf-8")
    result = run_entry(hook["entry"], hook.get("args", []), repo)
    assert result.returncode == 1
    assert "KB020" in result.stdout and "rapid-antidepressant-effect.yaml" in result.stdout


def test_fmt_hook_rewrites_the_files_it_is_given(repo: Path) -> None:
    hook = hooks()["ketakb-fmt"]
    files = staged(repo, hook)
    assert "README.md" not in files and len(files) == 7
    check = run_entry(hook["entry"], ["--check", *files], repo)
    assert check.returncode == 1 and "would reformat kb/agents/ketamine.yaml" in check.stdout
    assert run_entry(hook["entry"], hook.get("args", []) + files, repo).returncode == 0
    again = run_entry(hook["entry"], ["--check", *files], repo)
    assert again.returncode == 0, again.stdout + again.stderr


def test_ci_workflow_is_least_privilege_and_runs_the_checks() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(
        encoding="utf-8"))
    assert workflow["permissions"] == {}
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert "pull_request" in triggers
    assert set(workflow["jobs"]) == {"test", "lowest"}
    for job in workflow["jobs"].values():
        assert job["permissions"] == {"contents": "read"}
        uses = [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]
        assert uses == ["actions/checkout", "actions/setup-python"]
    runs = {name: "\n".join(step.get("run", "") for step in job["steps"])
            for name, job in workflow["jobs"].items()}
    for command in ("pip install '.[test]'", "python -m pytest",
                    "ketakb validate kb --strict --format github", "ketakb fmt --check kb",
                    "ketakb schema --check --out schemas"):
        assert command in runs["test"]
    assert "pip install '.[test]' -c constraints/lowest.txt" in runs["lowest"]
    assert "python -m pytest" in runs["lowest"]


def test_vscode_maps_every_schema_onto_its_kind_folder() -> None:
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    assert settings["yaml.schemas"] == {f"schemas/{kind}.schema.json": f"kb/{folder}/*.yaml"
                                        for kind, folder in vocab.FOLDER_OF_KIND.items()}


def test_new_records_point_at_the_same_schemas(tmp_path: Path) -> None:
    """The modeline `ketakb new` writes resolves, from the record, to the mapped schema."""
    result = run_entry("ketakb new", ["agent", "esketamine", "--kb", str(tmp_path / "kb")],
                       tmp_path)
    assert result.returncode == 2  # no KB folder yet: a usage error
    (tmp_path / "kb").mkdir()
    assert run_entry("ketakb new", ["agent", "esketamine", "--kb", "kb"],
                     tmp_path).returncode == 0
    record = tmp_path / "kb" / "agents" / "esketamine.yaml"
    first = record.read_text(encoding="utf-8").splitlines()[0]
    target = (record.parent / first.split("$schema=")[1]).resolve()
    assert target == (tmp_path / "schemas" / "agent.schema.json").resolve()


def test_bash_completion_offers_commands() -> None:
    env = {"_KETAKB_COMPLETE": "complete_bash", "COMP_WORDS": "ketakb val", "COMP_CWORD": "1"}
    result = subprocess.run(ketakb_command(), text=True, capture_output=True, check=False,
                            env={**os.environ, **env})
    assert result.returncode == 0
    assert "validate" in result.stdout.split()
    env["COMP_WORDS"] = "ketakb "
    everything = subprocess.run(ketakb_command(), text=True, capture_output=True, check=False,
                                env={**os.environ, **env}).stdout.split()
    assert {"validate", "new", "fmt", "export"} <= set(everything)


def test_show_completion_prints_a_script() -> None:
    result = subprocess.run([*ketakb_command(), "--show-completion", "bash"], text=True,
                            capture_output=True, check=False)
    assert result.returncode == 0
    assert "_ketakb_completion" in result.stdout and "complete " in result.stdout
