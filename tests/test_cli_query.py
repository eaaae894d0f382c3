"""Every query command through the CLI runner on the query fixture KB: shapes, exit codes,
did-you-mean, markup injection and piped output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from ketakb.cli import app
from tests.conftest import DATA, VALID_KB

QUERY_KB = DATA / "query-kb"
CLAIM_KEYS = {"id", "host", "subject", "predicate", "object", "statement", "status", "context",
              "figures", "evidence", "inventory", "searches", "successor", "supersedes", "notes",
              "certainty"}
EVIDENCE_KEYS = {"source", "stance", "quote", "locator", "design", "species", "notes"}

runner = CliRunner()


def run(*args: str, kb: str = str(QUERY_KB)) -> Result:
    return runner.invoke(app, [*args, "--kb", kb])


def run_json(*args: str) -> Any:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_groups_by_kind() -> None:
    result = run("list")
    assert result.exit_code == 0, result.output
    assert result.stdout.index("agents (3)") < result.stdout.index("sources (5)")
    records = run_json("list", "receptors")
    assert [r["id"] for r in records] == ["ampa-receptor", "nmda-receptor"]
    assert all(r["kind"] == "receptor" and "claims" not in r for r in records)
    assert run("list", "receptor").exit_code == 0


def test_list_unknown_kind_is_a_usage_error() -> None:
    result = run("list", "receptr")
    assert result.exit_code == 2
    assert "receptor" in result.output


@pytest.mark.parametrize("query", [["nmdar"], ["NMDA", "receptor"], ["nmda-receptor"]])
def test_show_by_id_name_or_synonym(query: list[str]) -> None:
    result = run("show", *query)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("NMDA receptor  nmda-receptor · receptor\n")
    assert "ketamine channel_blocker_of nmda-receptor" in result.stdout


def test_show_json_shape() -> None:
    doc = run_json("show", "nmda-receptor")
    assert doc["kind"] == "receptor" and doc["id"] == "nmda-receptor"
    assert doc["genes"] == ["GRIN1", "GRIN2B"]
    ids = {c["id"] for c in doc["claims"]}
    assert {"ketamine-blocks-nmda-receptor", "nmda-block-leads-to-bdnf"} <= ids
    for claim in doc["claims"]:
        assert set(claim) == CLAIM_KEYS
        assert all(set(e) == EVIDENCE_KEYS for e in claim["evidence"])


def test_show_yaml_round_trips_to_the_json() -> None:
    result = run("show", "ketamine", "--format", "yaml")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout) == run_json("show", "ketamine")


def test_show_no_match_suggests() -> None:
    result = run("show", "ketamin")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no record matches 'ketamin'; did you mean:" in result.stderr
    assert "ketamine  Ketamine (agent)" in result.stderr


def test_show_several_matches_lists_them(tmp_path: Any) -> None:
    import shutil

    kb = tmp_path / "kb"
    shutil.copytree(QUERY_KB, kb)
    path = kb / "receptors" / "ampa-receptor.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "synonyms: [AMPAR]", "synonyms: [AMPAR, Special K]"), encoding="utf-8")
    result = run("show", "special k", kb=str(kb))
    assert result.exit_code == 1
    assert "several records match 'special k'" in result.stderr
    assert "ampa-receptor" in result.stderr and "ketamine" in result.stderr


def test_record_text_is_printed_literally_when_piped() -> None:
    result = run("show", "markup-condition")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("[red]x[/red] \\x1b[31mred\\x1b[0m  markup-condition")
    assert "[link=https://evil.example]click[/link]" in result.stdout
    assert "\x1b" not in result.stdout
    listing = run("list", "condition").stdout
    assert "[red]x[/red] \\x1b[31mred\\x1b[0m" in listing and "\x1b" not in listing


def test_piped_output_is_plain_and_never_wrapped() -> None:
    result = run("claims", "--about", "nmdar")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    long = "Blocking NMDA receptors on interneurons disinhibits glutamate release and BDNF."
    assert f"  {long}\n" in result.stdout


def test_search_json_is_ranked() -> None:
    hits = run_json("search", "bdnf", "release")
    assert [set(h) for h in hits] == [{"id", "kind", "name", "score", "matched"}] * len(hits)
    assert hits[0]["score"] >= hits[-1]["score"]
    assert all(any("«" in m["text"] for m in h["matched"]) for h in hits)
    table = run("search", "AMPA")
    assert table.exit_code == 0 and "ampa-receptor" in table.stdout
    assert run("search", "qqqzzz").exit_code == 1


def test_claims_filters_and_usage_errors() -> None:
    claims = run_json("claims", "--status", "contested")
    assert [c["id"] for c in claims] == ["hnk-activates-ampa"]
    assert all(set(c) == CLAIM_KEYS for c in claims)
    peer = run_json("claims", "--about", "Ketamine", "--peer-reviewed")
    assert "ketamine-used-for-markup" not in {c["id"] for c in peer}
    assert run_json("claims", "--source", "label-2019")[0]["id"] == "esketamine-approved-for-mdd"
    assert run("claims", "--status", "refuted", "--predicate", "treats").exit_code == 1
    wrong = run("claims", "--status", "refuted-ish")
    assert wrong.exit_code == 2 and "refuted" in wrong.output
    assert run("claims", "--predicate", "blocks").exit_code == 2
    assert run("claims", "--about", "nothing-like-this").exit_code == 1


def test_explain_tree_and_json() -> None:
    result = run("explain", "Rapid", "antidepressant", "effect")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Ketamine → Rapid antidepressant effect: 6 chains"
    assert ("├── channel_blocker_of → NMDA receptor  [established · high]  berman-2000, "
            "review-2018") in result.stdout
    assert "metabolite_of (structural, not causal) ← (2R,6R)-hydroxynorketamine" in result.stdout
    assert "agonist_of" not in result.stdout
    doc = run_json("explain", "rapid-antidepressant-effect")
    assert doc["target"] == "rapid-antidepressant-effect" and doc["from"] == "ketamine"
    assert ["ketamine-blocks-nmda-receptor", "nmda-block-leads-to-bdnf",
            "bdnf-leads-to-antidepressant-effect"] in [[c["id"] for c in p] for p in doc["paths"]]
    assert all(set(c) == CLAIM_KEYS for p in doc["paths"] for c in p)
    withdrawn = run_json("explain", "rapid-antidepressant-effect", "--all")
    assert len(withdrawn["paths"]) > len(doc["paths"])


def test_explain_from_another_agent_and_nothing_found() -> None:
    doc = run_json("explain", "major-depressive-disorder", "--from", "Spravato")
    assert doc["from"] == "esketamine"
    assert [[c["id"] for c in p] for p in doc["paths"]] == [["esketamine-approved-for-mdd"]]
    result = run("explain", "dissociation", "--from", "esketamine")
    assert result.exit_code == 1
    assert "no chain of claims leads from 'esketamine' to 'dissociation'" in result.stderr
    assert run("explain", "no-such-effect").exit_code == 1


def test_conflicts() -> None:
    doc = run_json("conflicts")
    assert set(doc) == {"disputed", "opposing"}
    assert all(set(d) == {"claim", "supports", "disputes", "qualifies"} for d in doc["disputed"])
    result = run("conflicts")
    assert "disputed claims (3)" in result.stdout and "opposing claims (2)" in result.stdout
    assert run("conflicts", kb=str(DATA / "query-kb" / "effects")).exit_code == 1


def test_sources_and_cite() -> None:
    result = run("sources", "HNK")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split() == ["id", "type", "date", "claims", "title"]
    assert [s["id"] for s in run_json("sources")] == [
        "berman-2000", "clinic-post", "label-2019", "review-2018", "zanos-2016"]
    text = run("cite", "berman-2000")
    assert text.exit_code == 0 and "PMID: 10686270." in text.stdout
    bib = run("cite", "ketamine", "--style", "bibtex")
    assert [line.split("{")[1] for line in bib.stdout.splitlines() if line.startswith("@")] == [
        "berman-2000,", "clinic-post,", "review-2018,", "zanos-2016,"]
    csl = json.loads(run("cite", "zanos-2016", "--style", "csl-json").stdout)
    assert csl[0]["type"] == "article-journal" and csl[0]["DOI"] == "10.1038/nature17998"
    assert run("cite", "dissociation").exit_code == 0  # its claim cites berman-2000
    assert run("cite", "markup-condition", "--style", "wrong").exit_code == 2


def test_graph_formats() -> None:
    mermaid = run("graph", "--to", "rapid-antidepressant-effect", "--no-withdrawn")
    assert mermaid.exit_code == 0, mermaid.output
    assert mermaid.stdout.startswith("flowchart LR\n")
    assert "n_nmda_receptor -->|\"leads_to\"| n_bdnf_signalling" in mermaid.stdout
    assert "-.->" not in mermaid.stdout
    dot = run("graph", "--focus", "nmdar", "--depth", "1", "--format", "dot")
    assert dot.stdout.startswith("digraph ketakb {")
    doc = run_json_graph("--focus", "HNK", "--depth", "1")
    assert {n["id"] for n in doc["nodes"]} == {"hydroxynorketamine", "ketamine", "ampa-receptor"}
    assert set(doc["edges"][0]) == {"id", "subject", "predicate", "object", "status"}
    assert run("graph", "--focus", "x", "--to", "y").exit_code == 2
    assert run("graph", "--focus", "nowhere-at-all").exit_code == 1


def run_json_graph(*args: str) -> Any:
    result = run("graph", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_stats() -> None:
    doc = run_json("stats")
    assert doc["records"]["pathway"] == 2 and doc["claims"]["total"] == 16
    table = run("stats")
    assert table.exit_code == 0 and "not checked (give --sources-dir)" in table.stdout
    checked = runner.invoke(app, ["stats", "--kb", str(VALID_KB), "--sources-dir",
                                  str(DATA / "archives")])
    assert "2 verified in the archived texts, 0 not found" in checked.stdout
    assert run("stats", "--sources-dir", str(DATA / "nowhere")).exit_code == 2


def test_no_cache_and_kb_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no project kb/ here: discovery comes first
    monkeypatch.setenv("KETAKB_KB", str(QUERY_KB))
    result = runner.invoke(app, ["show", "markup-condition", "--no-cache"])  # not bundled
    assert result.exit_code == 0, result.output
    assert run("show", "x", kb=str(DATA / "missing")).exit_code == 2


def test_an_edited_record_is_seen_by_the_next_query(tmp_path: Any) -> None:
    import os
    import shutil

    kb = tmp_path / "kb"
    shutil.copytree(QUERY_KB, kb)
    assert run("show", "dissociation", kb=str(kb)).exit_code == 0
    path = kb / "effects" / "dissociation.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "name: Dissociation", "name: Depersonalisation"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert run("show", "depersonalisation", kb=str(kb)).exit_code == 0
