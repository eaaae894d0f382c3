"""The read side shows the computed certainty (`ketakb.certainty`) the validator judges by:
every claim a query or an export gives carries the same level, `show CLAIM-ID` derives it
step by step, and the filters, chains, conflicts, statistics, tables and site read it."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ketakb import certainty, open_kb
from ketakb.cli import app
from tests.conftest import DATA

QUERY_KB = DATA / "query-kb"
runner = CliRunner()


def run(*args: str, kb: Path = QUERY_KB) -> Result:
    return runner.invoke(app, [*args, "--kb", str(kb)])


def run_json(*args: str, kb: Path = QUERY_KB) -> Any:
    result = run(*args, "--format", "json", kb=kb)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def query_copy(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(QUERY_KB, target)
    return target


def test_every_claim_carries_the_level_its_evidence_gives() -> None:
    with open_kb(QUERY_KB) as kb:
        sources = kb.source_records()
        for claim in kb.claims():
            assessment = certainty.of_claim(claim, sources)
            assert claim["certainty"] == {
                "level": certainty.LEVELS[assessment.level],
                "support": certainty.LEVELS[assessment.support],
                "dispute": certainty.LEVELS[assessment.dispute],
                "system": assessment.system}
    shown = run("show", "nmda-receptor")
    assert "ketamine-blocks-nmda-receptor  [established · high]" in shown.stdout


def test_min_certainty_keeps_the_claims_at_least_that_sure() -> None:
    every = run_json("claims")
    for level in certainty.LEVELS[1:]:
        least = certainty.LEVELS.index(level)
        expected = [c["id"] for c in every
                    if certainty.LEVELS.index(c["certainty"]["level"]) >= least]
        found = run("claims", "--min-certainty", level, "--format", "json")
        assert found.exit_code == (0 if expected else 1)
        assert [c["id"] for c in json.loads(found.stdout)] == expected, level
    assert 0 < len(run_json("claims", "--min-certainty", "high")) < len(every)
    wrong = run("claims", "--min-certainty", "none")
    assert wrong.exit_code == 2 and "very-low, low, moderate, high" in wrong.output


def test_show_claim_id_derives_the_level_step_by_step() -> None:
    doc = run_json("show", "hnk-activates-ampa")
    assessment = doc["assessment"]
    assert doc["id"] == "hnk-activates-ampa" and doc["certainty"]["level"] == assessment["level"]
    assert [(u["id"], u["stance"]) for u in assessment["units"]] == [
        ("zanos-2016", "supports"), ("review-2018", "disputes")]
    assert assessment["units"][0]["direct"] and assessment["units"][0]["system"] == "animal"
    assert assessment["steps"][-1] == f"certainty = {assessment['level']}"
    table = run("show", "hnk-activates-ampa")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0] == "hnk-activates-ampa  [contested · low]"
    assert "  supports zanos-2016: animal-study · animal · direct · peer-reviewed → moderate" \
        in lines
    assert lines[-3:] == ["  support S = moderate", "  dispute D = low", "  certainty = low"]


def test_a_record_id_still_wins_and_an_unknown_id_still_suggests() -> None:
    assert run_json("show", "ketamine")["kind"] == "agent"
    missing = run("show", "hnk-activates-ampx")
    assert missing.exit_code == 1 and "no record matches" in missing.stderr


def test_explain_names_each_chains_weakest_link() -> None:
    doc = run_json("explain", "rapid-antidepressant-effect")
    for path, chain in zip(doc["paths"], doc["chains"], strict=True):
        levels = [certainty.LEVELS.index(c["certainty"]["level"]) for c in path]
        first = levels.index(min(levels))
        assert chain["weakest"] == {"claim": path[first]["id"],
                                    "level": path[first]["certainty"]["level"]}
    assert "⇒ weakest link: " in run("explain", "rapid-antidepressant-effect").stdout


def test_conflicts_and_stats_show_the_levels() -> None:
    table = run("conflicts").stdout
    assert "    certainty: low (support moderate, dispute low)" in table
    stats = run_json("stats")["claims"]
    assert list(stats["by_certainty"]) == list(certainty.LEVELS)
    assert sum(stats["by_certainty"].values()) == stats["total"]


def test_a_preprint_is_not_peer_reviewed_support(query_copy: Path) -> None:
    before = {c["id"] for c in run_json("claims", "--peer-reviewed", kb=query_copy)}
    assert "ketamine-increases-bdnf" in before  # review-2018 alone supports it
    review = query_copy / "sources" / "review-2018.yaml"
    review.write_text(review.read_text(encoding="utf-8") + "standing: {status: preprint}\n",
                      encoding="utf-8")
    after = {c["id"] for c in run_json("claims", "--peer-reviewed", kb=query_copy)}
    assert "ketamine-increases-bdnf" not in after and after < before
    stats = run_json("stats", kb=query_copy)["claims"]
    assert stats["peer_reviewed"] == len(after)


def test_csv_and_sqlite_exports_carry_the_same_levels(tmp_path: Path) -> None:
    levels = {c["id"]: c["certainty"] for c in run_json("claims")}
    assert run("export", "-f", "csv", "-o", str(tmp_path / "csv")).exit_code == 0
    with (tmp_path / "csv" / "claims.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["id"]: (r["certainty"], r["support"], r["dispute"]) for r in rows} == {
        i: (c["level"], c["support"], c["dispute"]) for i, c in levels.items()}
    assert run("export", "-f", "sqlite", "-o", str(tmp_path / "kb.sqlite")).exit_code == 0
    db = sqlite3.connect(tmp_path / "kb.sqlite")
    try:
        found = {i: (level, s, d) for i, level, s, d in db.execute(
            "SELECT id, certainty, support, dispute FROM claims")}
        design = db.execute("SELECT design FROM sources WHERE id = 'zanos-2016'").fetchone()
    finally:
        db.close()
    assert found == {i: (c["level"], c["support"], c["dispute"]) for i, c in levels.items()}
    assert design == ("animal-study",)
    exported = run("export", "-f", "json", "-o", "-")
    assert {c["id"]: c["certainty"] for c in json.loads(exported.stdout)["claims"]} == levels


def test_the_site_shows_levels_and_a_sources_standing(query_copy: Path, tmp_path: Path
                                                      ) -> None:
    label = query_copy / "sources" / "label-2019.yaml"
    label.write_text(label.read_text(encoding="utf-8") + "standing: {status: superseded, "
                     "by: berman-2000, date: '2024-01-02'}\n", encoding="utf-8")
    result = run("site", "--out", str(tmp_path / "site"), kb=query_copy)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "site" / "sources" / "label-2019.html").read_text(encoding="utf-8")
    assert ">superseded</span> (2024-01-02): replaced by <a href=\"../sources/berman-2000.html\"" \
        in page
    assert "prescribing-information: an approved label or SmPC" in page
    claim = (tmp_path / "site" / "claims" / "hnk-activates-ampa.html").read_text(
        encoding="utf-8")
    assert 'class="badge certainty certainty-low"' in claim and "certainty = low" in claim
