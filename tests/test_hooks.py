"""The pre-commit hooks guard a KB at any path: here data/kb, as CONTRIBUTING shows.

The hooks are run the way pre-commit runs them: their `files` pattern picks the changed
files, and only a hook with `pass_filenames` gets them after its `args`. With pre-commit
installed, the same is checked with pre-commit itself, offline, on a local git repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ketakb import vocab
from tests.conftest import VALID_KB
from tests.test_ecosystem import hooks, run_entry

#: What a user writes in .pre-commit-config.yaml for a KB at data/kb.
ARGS = {"ketakb-validate": ["data/kb"], "ketakb-fmt": ["--kb", "data/kb"]}
BROKEN = "id: rapid-antidepressant-effect\nname: Rapid\ntype: magical\nsummary: S\n"
#: Not a record, in a folder that happens to carry a kind's name, outside the KB.
UNRELATED = "config/sources/feeds.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose KB lives at data/kb, beside files the hooks must not judge."""
    shutil.copytree(VALID_KB, tmp_path / "data" / "kb")
    (tmp_path / "README.md").write_text("# my project\n", encoding="utf-8")
    (tmp_path / "config" / "sources").mkdir(parents=True)
    (tmp_path / UNRELATED).write_text("feeds: [a, b]\n", encoding="utf-8")
    return tmp_path


def run_hook(hook_id: str, changed: list[str],
             repo: Path) -> subprocess.CompletedProcess[str] | None:
    """Run a hook as pre-commit would on `changed`; None when it would be skipped."""
    hook = hooks()[hook_id]
    files = [f for f in changed if re.search(hook["files"], f)]
    if not files:
        return None  # pre-commit: "(no files to check) Skipped"
    names = files if hook.get("pass_filenames", True) else []
    return run_entry(hook["entry"], [*ARGS[hook_id], *names], repo)


def test_the_patterns_match_kind_folders_anywhere() -> None:
    kinds = "|".join(sorted(vocab.KINDS))
    for hook in hooks().values():
        assert f"({kinds})/" in hook["files"]  # every kind folder, and only those
        for path in ("kb/agents/ketamine.yaml", "data/kb/sources/berman-2000.yaml"):
            assert re.search(hook["files"], path)
        for path in ("README.md", "docs/kb.yaml", "data/kb/notes.yaml", "myagents/x.yaml"):
            assert not re.search(hook["files"], path)
    # a stray file in a kind folder is a finding of validate, not a record for fmt
    assert re.search(hooks()["ketakb-validate"]["files"], "data/kb/agents/notes.txt")
    assert not re.search(hooks()["ketakb-fmt"]["files"], "data/kb/agents/notes.txt")


def test_validate_hook_catches_a_broken_record_in_data_kb(repo: Path) -> None:
    record = "data/kb/effects/rapid-antidepressant-effect.yaml"
    passed = run_hook("ketakb-validate", [record], repo)
    assert passed is not None and passed.returncode == 0, passed
    (repo / record).write_text(BROKEN, encoding="utf-8")
    result = run_hook("ketakb-validate", [record], repo)
    assert result is not None, "the hook was skipped: the broken commit would land"
    assert result.returncode == 1
    assert f"{record}:3:7: KB020" in result.stdout


def test_validate_hook_catches_a_stray_file_in_data_kb(repo: Path) -> None:
    (repo / "data" / "kb" / "agents" / "notes.txt").write_text("to do\n", encoding="utf-8")
    result = run_hook("ketakb-validate", ["data/kb/agents/notes.txt"], repo)
    assert result is not None and result.returncode == 1
    assert "KB010" in result.stdout


def test_fmt_hook_formats_data_kb_and_passes_over_other_files(repo: Path) -> None:
    record = "data/kb/agents/ketamine.yaml"
    before = (repo / UNRELATED).read_bytes()
    result = run_hook("ketakb-fmt", [record, UNRELATED, "README.md"], repo)
    assert result is not None and result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"reformatted {record}\n"
    assert "1 outside the KB data/kb passed over" in result.stderr
    assert (repo / UNRELATED).read_bytes() == before
    again = run_entry("ketakb fmt", ["--check", record], repo)
    assert again.returncode == 0, again.stdout + again.stderr


# -- with pre-commit itself ---------------------------------------------------------------------

def git(repo: Path, *args: str, env: dict[str, str]) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org",
                    "-c", "commit.gpgsign=false", *args], cwd=repo, env=env, check=True,
                   capture_output=True, timeout=60)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_with_pre_commit_itself(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The hooks' own `files` and `pass_filenames`, as pre-commit reads them; the hooks run
    the ketakb beside this Python (`language: system`), so nothing is downloaded."""
    local = []
    for hook_id, hook in hooks().items():
        keep = {key: hook[key] for key in ("id", "name", "entry", "files", "pass_filenames",
                                           "require_serial") if key in hook}
        local.append({**keep, "language": "system", "args": ARGS[hook_id]})
    config = {"repos": [{"repo": "local", "hooks": local}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    # no GIT_* from a calling git (a hook, `git rebase -x`): git must act on the fixture only
    env = {key: value for key, value in os.environ.items()
           if key != "KETAKB_KB" and not key.startswith("GIT_")}
    env.update(PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
               PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    git(repo, "init", "-q", env=env)
    git(repo, "add", "-A", env=env)
    git(repo, "commit", "-q", "--no-verify", "-m", "start", env=env)

    def pre_commit(hook_id: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(Path(sys.executable).parent / "pre-commit"), "run", hook_id],
                              cwd=repo, env=env, text=True, capture_output=True, check=False,
                              timeout=120)

    record = "data/kb/effects/rapid-antidepressant-effect.yaml"
    (repo / record).write_text(BROKEN, encoding="utf-8")
    git(repo, "add", record, env=env)
    result = pre_commit("ketakb-validate")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Skipped" not in result.stdout and f"{record}:3:7: KB020" in result.stdout

    git(repo, "checkout", "HEAD", "--", record, env=env)
    (repo / UNRELATED).write_text("feeds: [a, b, c]\n", encoding="utf-8")
    with (repo / "data" / "kb" / "agents" / "ketamine.yaml").open("a") as handle:
        handle.write("\n")
    git(repo, "add", "-A", env=env)
    result = pre_commit("ketakb-fmt")
    assert "files were modified by this hook" in result.stdout, result.stdout + result.stderr
    assert "exit code" not in result.stdout  # fmt itself succeeded; only the file changed
    assert (repo / UNRELATED).read_text(encoding="utf-8") == "feeds: [a, b, c]\n"
