"""`ketakb export`: every format read back with the standard library against the fixture KB."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ketakb import vocab
from ketakb.cli import app
from ketakb.output.export import PREDICATE_MAP, csv_cell, load_kb, neutralise
from tests.conftest import VALID_KB

runner = CliRunner()
RECORDS, CLAIMS, EVIDENCE = 7, 4, 6


def export(fmt: str, out: Path, kb: Path = VALID_KB) -> None:
    result = runner.invoke(app, ["export", "--format", fmt, "--out", str(out), "--kb", str(kb)])
    assert result.exit_code == 0, result.output


def test_json_document_uses_the_shapes(tmp_path: Path) -> None:
    export("json", tmp_path / "kb.json")
    document = json.loads((tmp_path / "kb.json").read_text(encoding="utf-8"))
    assert set(document) == {"records", "claims"}
    assert len(document["records"]) == RECORDS and len(document["claims"]) == CLAIMS
    ketamine = next(r for r in document["records"] if r["id"] == "ketamine")
    assert ketamine["kind"] == "agent" and "claims" not in ketamine
    assert ketamine["xrefs"]["chebi"] == "6121"
    claim = next(c for c in document["claims"] if c["id"] == "ketamine-treats-depression")
    assert claim["host"] == "ketamine" and claim["figures"][0]["value"] == -14
    assert claim["evidence"][0] == {"source": "berman-2000", "stance": "supports",
                                    "quote": None, "locator": None, "design": None,
                                    "species": None, "notes": None}
    assert list(claim) == ["id", "host", "subject", "predicate", "object", "statement",
                           "status", "context", "figures", "evidence", "inventory", "searches",
                           "successor", "supersedes", "notes", "certainty"]
    assert set(claim["certainty"]) == {"level", "support", "dispute", "system"}


def test_jsonl_one_typed_object_per_line(tmp_path: Path) -> None:
    export("jsonl", tmp_path / "kb.jsonl")
    lines = (tmp_path / "kb.jsonl").read_text(encoding="utf-8").splitlines()
    objects = [json.loads(line) for line in lines]
    assert [o["type"] for o in objects].count("record") == RECORDS
    assert [o["type"] for o in objects].count("claim") == CLAIMS
    berman = next(o["record"] for o in objects
                  if o["type"] == "record" and o["record"]["id"] == "berman-2000")
    assert berman["type"] == "clinical-trial" and berman["pmid"] == "10686270"


def test_json_to_standard_output() -> None:
    result = runner.invoke(app, ["export", "-f", "jsonl", "-o", "-", "--kb", str(VALID_KB)])
    assert result.exit_code == 0
    assert sum(1 for line in result.stdout.splitlines() if line.startswith("{")) == 11


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_tables(tmp_path: Path) -> None:
    export("csv", tmp_path / "csv")
    tables = {p.stem: _csv(p) for p in (tmp_path / "csv").glob("*.csv")}
    assert set(tables) == {*vocab.KINDS, "claims", "evidence", "regulatory"}
    assert sum(len(tables[folder]) for folder in vocab.KINDS) == RECORDS
    assert len(tables["claims"]) == CLAIMS and len(tables["evidence"]) == EVIDENCE
    ketamine = tables["agents"][0]
    assert ketamine["id"] == "ketamine" and ketamine["class"] == "arylcyclohexylamine"
    assert ketamine["synonyms"] == "Ketalar; [red]K[/red]"
    assert json.loads(ketamine["xrefs"])["drugbank"] == "DB01221"
    receptor = tables["receptors"][0]
    assert receptor["genes"] == "GRIN1; GRIN2B"
    treats = next(c for c in tables["claims"] if c["id"] == "ketamine-treats-depression")
    assert treats["evidence_count"] == "2"
    assert json.loads(treats["figures"])[0]["n"] == 7
    quotes = [e for e in tables["evidence"] if e["quote"]]
    assert {e["claim"] for e in quotes} == {"ketamine-blocks-nmda-receptor",
                                            "nmda-receptor-leads-to-rapid-antidepressant-effect"}
    assert tables["sources"][0]["pages"] == "351-354"


def test_csv_cells_a_spreadsheet_would_execute_are_neutralised(
        write_record: Callable[[str, str], Path], kb_copy: Path, tmp_path: Path) -> None:
    write_record("conditions/formula-risk.yaml",
                 'id: formula-risk\nname: "=HYPERLINK(\\"http://x\\")"\n'
                 'summary: "+1 then -2"\nsynonyms: ["@SUM(A1)", "-x"]\nnotes: "\\tcmd"\n')
    export("csv", tmp_path / "csv", kb_copy)
    with (tmp_path / "csv" / "conditions.csv").open(encoding="utf-8", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["id"] == "formula-risk")
    assert row["name"] == "'=HYPERLINK(\"http://x\")"
    assert row["summary"] == "'+1 then -2"
    assert row["synonyms"] == "'@SUM(A1); -x"
    assert row["notes"] == "'\tcmd"
    assert neutralise("safe") == "safe" and csv_cell(None) == "" and csv_cell(True) == "true"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    export("sqlite", tmp_path / "kb.sqlite")
    connection = sqlite3.connect(tmp_path / "kb.sqlite")
    yield connection
    connection.close()


def test_sqlite_tables_keys_and_full_text(db: sqlite3.Connection) -> None:
    count = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
             for t in ("records", "sources", "claims", "evidence", "xrefs")}
    assert count == {"records": RECORDS, "sources": 3, "claims": CLAIMS,
                     "evidence": EVIDENCE, "xrefs": 5}
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    referenced = {row[2] for t in ("claims", "evidence", "sources", "xrefs")
                  for row in db.execute(f"PRAGMA foreign_key_list({t})")}
    assert referenced == {"records", "claims", "sources"}
    indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"claims_subject", "claims_object", "evidence_source"} <= indexes
    hits = db.execute("SELECT id FROM search WHERE search MATCH 'antidepressant' "
                      "ORDER BY id").fetchall()
    assert ("rapid-antidepressant-effect",) in hits
    peer = db.execute("""
        SELECT DISTINCT c.id FROM claims c JOIN evidence e ON e.claim = c.id
        JOIN sources s ON s.id = e.source
        WHERE s.peer_reviewed AND e.stance = 'supports' ORDER BY c.id""").fetchall()
    assert peer == [("ketamine-blocks-nmda-receptor",), ("ketamine-treats-depression",)]
    shape = json.loads(db.execute("SELECT json FROM claims WHERE id = "
                                  "'ketamine-blocks-nmda-receptor'").fetchone()[0])
    assert shape["context"] == {"species": "human", "route": "intravenous", "dose": "0.5 mg/kg"}


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_kgx_nodes_and_edges(tmp_path: Path) -> None:
    export("kgx", tmp_path / "kgx")
    nodes = {n["ketakb_id"]: n for n in _tsv(tmp_path / "kgx" / "nodes.tsv")}
    edges = {e["id"]: e for e in _tsv(tmp_path / "kgx" / "edges.tsv")}
    # sources are publications on edges, not nodes; the receptor and the effect have no xref
    # Biolink accepts for their category, so they and their claims are left out
    assert set(nodes) == {"ketamine", "major-depressive-disorder"}
    assert nodes["ketamine"]["id"] == "CHEBI:6121"
    assert nodes["ketamine"]["category"] == "biolink:ChemicalEntity"
    assert set(nodes["ketamine"]["xref"].split("|")) == {
        "DRUGBANK:DB01221", "PUBCHEM.COMPOUND:3821"}
    assert nodes["major-depressive-disorder"]["id"] == "DOID:1470"
    assert nodes["major-depressive-disorder"]["category"] == "biolink:Disease"
    assert "ketakb:ketamine-agonist-of-nmda-receptor" not in edges  # refuted: not an edge
    assert list(edges) == ["ketakb:ketamine-treats-depression"]
    treats = edges["ketakb:ketamine-treats-depression"]
    assert (treats["subject"], treats["predicate"], treats["object"]) == (
        "CHEBI:6121", "biolink:treats", "DOID:1470")
    assert treats["publications"] == "PMID:10686270"
    assert treats["primary_knowledge_source"] == "infores:ketakb"
    assert treats["agent_type"] == "manual_agent"
    assert treats["knowledge_level"] == "knowledge_assertion"


def test_every_predicate_has_a_biolink_mapping() -> None:
    assert set(PREDICATE_MAP) == set(vocab.PREDICATES)
    assert all(m.predicate.startswith("biolink:") for m in PREDICATE_MAP.values())


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "sqlite", "kgx"])
def test_a_kb_with_errors_is_not_exported(
        write_record: Callable[[str, str], Path], kb_copy: Path, tmp_path: Path,
        fmt: str) -> None:
    write_record("conditions/broken.yaml", "id: broken\nname: Broken\n")  # no summary
    out = tmp_path / "out"
    result = runner.invoke(app, ["export", "-f", fmt, "-o", str(out), "--kb", str(kb_copy)])
    assert result.exit_code == 1
    assert "KB022" in result.output and "error" in result.output
    assert not out.exists()


def test_export_to_the_wrong_kind_of_path_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    for fmt, out in (("csv", tmp_path / "file"), ("json", tmp_path)):
        result = runner.invoke(app, ["export", "-f", fmt, "-o", str(out),
                                     "--kb", str(VALID_KB)])
        assert result.exit_code == 2
    assert runner.invoke(app, ["export", "-f", "sqlite", "-o", "-",
                               "--kb", str(VALID_KB)]).exit_code == 2


def test_load_kb_orders_records_by_kind_then_id() -> None:
    data = load_kb(VALID_KB)
    kinds: list[Any] = [kind for kind, _ in data.records]
    assert kinds == sorted(kinds, key=list(vocab.FOLDER_OF_KIND).index)
    assert [r["id"] for k, r in data.records if k == "source"] == [
        "berman-2000", "clinic-post", "label-2019"]
