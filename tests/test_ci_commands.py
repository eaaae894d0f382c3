"""`.ci/run` runs exactly the README's commands, so a green CI means a newcomer's setup works."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CI_RUN = ROOT / ".ci" / "run"


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [block.strip() for block in
            re.findall(r"```sh\n((?:pip|apt-get) [^\n]*)\n```", text)]


def _ci_commands() -> list[str]:
    lines = CI_RUN.read_text(encoding="utf-8").splitlines()
    return [lines[i + 1].strip() for i, line in enumerate(lines)
            if line.strip().startswith("# README:")]


def test_ci_runs_every_readme_install_command_verbatim() -> None:
    readme, ci = _readme_commands(), _ci_commands()
    assert len(readme) == 4, readme
    assert sorted(ci) == sorted(readme)


def test_lowest_constraints_are_the_declared_lower_bounds() -> None:
    """Every dependency's `>=` bound is pinned in constraints/lowest.txt, at that version, so
    each lower bound is one the suite ran on. Linters are run at their newest release only."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = pyproject[pyproject.index("[project]"):pyproject.index("[project.scripts]")]
    bounds = {name.lower(): version for name, version in
              re.findall(r'"([A-Za-z][\w-]*)>=([\w.]+)', project)}
    pins = {name.lower(): version for name, version in re.findall(
        r"^([\w-]+)==([\w.]+)$",
        (ROOT / "constraints" / "lowest.txt").read_text(encoding="utf-8"), re.MULTILINE)}
    linters = {"ruff", "mypy"}
    assert set(bounds) - linters <= set(pins), "a declared lower bound is not pinned"
    for name in set(bounds) - linters:
        assert pins[name] == bounds[name], f"{name}: pinned {pins[name]}, declared " \
            f">={bounds[name]}"
