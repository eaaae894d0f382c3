"""Shell completion completes values, not only option names: record ids (from the KB the command
line names), kinds, statuses, predicates and formats; a broken KB gives no suggestions, never a
traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketakb import KB_ENV, vocab
from ketakb.cli import app
from tests.conftest import VALID_KB
from tests.test_ecosystem import ketakb_command

FIXTURE_IDS = ["berman-2000", "clinic-post", "ketamine", "label-2019",
               "major-depressive-disorder", "nmda-receptor", "rapid-antidepressant-effect"]


@pytest.fixture(autouse=True)
def away_from_any_project(tmp_path_factory: pytest.TempPathFactory,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    """$KETAKB_KB names the KB only where no project's kb/ is found from the working folder."""
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))


def complete(line: str, kb: Path | str = VALID_KB, shell: str = "bash") -> list[str]:
    """What Tab offers at the end of `line` (a trailing space starts a new word)."""
    words = line.split()
    env = {"_KETAKB_COMPLETE": f"complete_{shell}", KB_ENV: str(kb),
           "COMP_WORDS": line, "COMP_CWORD": str(len(words) - (0 if line.endswith(" ") else 1)),
           "_TYPER_COMPLETE_ARGS": line}
    result = CliRunner().invoke(app, [], env=env, prog_name="ketakb")
    assert result.exit_code == 0 and result.exception is None, result.output
    assert result.stderr == ""
    return result.stdout.split() if shell == "bash" else [result.stdout]


def test_statuses_complete_in_order_of_strength() -> None:
    assert complete("ketakb claims --status ") == list(vocab.STATUSES)
    assert complete("ketakb claims --status re") == ["refuted"]


def test_predicates_complete() -> None:
    assert complete("ketakb claims --predicate ") == list(vocab.PREDICATES)
    assert complete("ketakb claims --predicate part") == ["partial_agonist_of", "part_of"]


@pytest.mark.parametrize("line", ["ketakb list ", "ketakb new "])
def test_kinds_complete(line: str) -> None:
    assert complete(line) == list(vocab.KINDS.values())
    assert complete(line + "rec") == ["receptor"]


@pytest.mark.parametrize("line", [
    "ketakb show ", "ketakb show nmda ", "ketakb explain ", "ketakb claims --about ",
    "ketakb sources ", "ketakb cite ", "ketakb graph --focus ", "ketakb graph --to ",
    "ketakb explain x --through ", "ketakb graph --to x --through "])
def test_record_ids_complete(line: str) -> None:
    assert complete(line) == FIXTURE_IDS
    assert complete(line + "ra") == ["rapid-antidepressant-effect"]


def test_sources_and_agents_complete_where_only_they_fit() -> None:
    assert complete("ketakb claims --source ") == ["berman-2000", "clinic-post", "label-2019"]
    assert complete("ketakb explain x --from ") == ["ketamine"]
    assert complete("ketakb graph --from k") == ["ketamine"]


def test_ids_come_from_the_kb_the_command_line_names(tmp_path: Path) -> None:
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "esketamine.yaml").write_text("id: esketamine\n", encoding="utf-8")
    assert complete(f"ketakb show --kb {tmp_path} ") == ["esketamine"]
    assert complete("ketakb show ", kb=tmp_path) == ["esketamine"]  # $KETAKB_KB
    assert "ketamine" in complete("ketakb show ", kb="")  # the bundled KB
    assert complete(f"ketakb show --kb {VALID_KB} k", kb=tmp_path) == ["ketamine"]


def test_completion_reads_no_record_and_builds_no_index(tmp_path: Path,
                                                       private_cache: Path) -> None:
    """Cheap on every Tab press, however large the KB: only the folders' listings are read."""
    (tmp_path / "effects").mkdir()
    (tmp_path / "effects" / "euphoria.yaml").write_text("{{ not: yaml", encoding="utf-8")
    assert complete("ketakb claims --about eu", kb=tmp_path) == ["euphoria"]
    assert list(private_cache.iterdir()) == []


def test_formats_complete() -> None:
    assert complete("ketakb claims --format ") == ["table", "json", "yaml"]
    assert complete("ketakb cite x --style ") == ["text", "bibtex", "csl-json"]
    assert complete("ketakb graph --format ") == ["mermaid", "dot", "json"]


def test_zsh_shows_what_each_value_means() -> None:
    (script,) = complete("ketakb claims --status ", shell="zsh")
    assert '"refuted":"peer-reviewed evidence against it"' in script
    (script,) = complete("ketakb show k", shell="zsh")
    assert '"ketamine":"agent"' in script


def test_a_broken_kb_gives_no_suggestions(tmp_path: Path) -> None:
    assert complete("ketakb show ", kb=tmp_path / "missing") == []
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    assert complete("ketakb show ", kb=tmp_path / "file") == []
    (tmp_path / "kb" / "receptors").mkdir(parents=True)
    (tmp_path / "kb" / "agents").write_text("a file where a folder belongs", encoding="utf-8")
    for name in ["bad\nname.yaml", "trailing\n.yaml", "Upper.yaml", "x\x1b[31m.yaml",
                 "ok.yaml", "ok.yml"]:
        (tmp_path / "kb" / "receptors" / name).write_text("id: x\n", encoding="utf-8")
    assert complete("ketakb show ", kb=tmp_path / "kb") == ["ok"]


def test_installed_script_completes_values() -> None:
    """Through the real entry point, as the shell calls it."""
    env = {**os.environ, "_KETAKB_COMPLETE": "complete_bash", KB_ENV: str(VALID_KB),
           "COMP_WORDS": "ketakb claims --about nmda", "COMP_CWORD": "3"}
    result = subprocess.run(ketakb_command(), text=True, capture_output=True, check=False,
                            env=env, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "nmda-receptor\n", "")
