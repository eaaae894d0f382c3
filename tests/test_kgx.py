"""The KGX export as the KGX validator reads it, checked against the Biolink model that the
biolink-model package ships (no network at test time).

kgx itself is not a test dependency: `pip install kgx` resolves for minutes and pulls in some
170 packages (linkml, sphinx, tox, pandas, pyarrow, duckdb, neo4j, docker ...), and on import
it fetches the Biolink model, its predicate map and JSON-LD contexts from the network. So the
rules its Validator applies to nodes and edges are checked here, with the model's own data:
ids are CURIEs under prefixes of the Biolink prefix map (and, stricter, the category's
`id_prefixes`), categories are concrete Biolink classes, predicates are Biolink predicates,
qualifier and enum values are permissible values, required properties are filled.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from ketakb.cli import app
from ketakb.cli.options import bundled_kb
from ketakb.output.export import (
    BIOLINK_ID_PREFIXES,
    FALLBACK_MAPPING,
    KNOWLEDGE_LEVEL,
    PREDICATE_MAP,
)

runner = CliRunner()
CURIE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*):(\S+)$")
ENUM_COLUMNS = {"object_direction_qualifier": "DirectionQualifierEnum",
                "object_aspect_qualifier": "GeneOrGeneProductOrChemicalEntityAspectEnum",
                "knowledge_level": "KnowledgeLevelEnum", "agent_type": "AgentTypeEnum"}


def _package_file(*parts: str) -> Path:
    spec = importlib.util.find_spec("biolink_model")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)), *parts)


@lru_cache(maxsize=1)
def biolink() -> dict[str, Any]:
    text = _package_file("schema", "biolink_model.yaml").read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    model: dict[str, Any] = yaml.load(text, Loader=loader)
    return model


@lru_cache(maxsize=1)
def biolink_prefixes() -> frozenset[str]:
    """The prefixes of Biolink's JSON-LD context, as kgx's Validator collects them."""
    path = _package_file("prefixmaps", "biolink-model-prefix-map.json")
    return frozenset(json.loads(path.read_text(encoding="utf-8"))) | {"biolink"}


def element(curie: str) -> str:
    """biolink:GeneFamily → "gene family"; biolink:part_of → "part of"."""
    local = curie.removeprefix("biolink:")
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", local).replace("_", " ").lower()


def _is_predicate(name: str) -> bool:
    slots = biolink()["slots"]
    while name in slots:
        if name == "related to":
            return True
        name = slots[name].get("is_a", "")
    return False


def _required(domain: str) -> list[str]:
    return [name.replace(" ", "_") for name, slot in biolink()["slots"].items()
            if slot.get("required") and slot.get("domain") == domain]


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def kgx_problems(folder: Path) -> list[str]:
    """Every breach of the KGX validator's node and edge rules in a KGX TSV export."""
    model, prefixes = biolink(), biolink_prefixes()
    nodes, edges = _tsv(folder / "nodes.tsv"), _tsv(folder / "edges.tsv")
    problems: list[str] = []

    def curie_problem(value: str, allowed: frozenset[str] | tuple[str, ...]) -> str | None:
        match = CURIE.match(value)
        if match is None:
            return f"'{value}' is not a CURIE"
        if match[1] not in allowed:
            return f"'{value}' has the prefix '{match[1]}', not one of {sorted(allowed)[:8]}..."
        return None

    for node in nodes:
        missing = [p for p in ("id", "category", *_required("entity")) if not node.get(p)]
        problems += [f"node {node['id']}: no {p}" for p in missing]
        category = model["classes"].get(element(node["category"]))
        if category is None or category.get("abstract") or category.get("mixin"):
            problems.append(f"node {node['id']}: '{node['category']}' is no concrete class")
            continue
        for allowed in (prefixes, tuple(category.get("id_prefixes", ()))):
            problem = curie_problem(node["id"], allowed)
            if problem:
                problems.append(f"node {problem}")
    ids = {node["id"] for node in nodes}
    for edge in edges:
        name = edge["id"]
        required = ["id", "subject", "predicate", "object", *_required("association")]
        problems += [f"edge {name}: no {p}" for p in dict.fromkeys(required)
                     if not edge.get(p)]
        for end in ("subject", "object"):
            problem = curie_problem(edge[end], prefixes)
            if problem:
                problems.append(f"edge {name} {end}: {problem}")
            if edge[end] not in ids:
                problems.append(f"edge {name} {end}: '{edge[end]}' is no node")
        for column in ("predicate", "qualified_predicate"):
            if edge[column] and not _is_predicate(element(edge[column])):
                problems.append(f"edge {name}: '{edge[column]}' is no Biolink predicate")
        if model["slots"].get(element(edge["predicate"]), {}).get("abstract"):
            problems.append(f"edge {name}: '{edge['predicate']}' is abstract")
        for column, enum in ENUM_COLUMNS.items():
            if edge[column] and edge[column] not in model["enums"][enum]["permissible_values"]:
                problems.append(f"edge {name}: {column} '{edge[column]}' is not in {enum}")
        for value in filter(None, edge["publications"].split("|")):
            problem = curie_problem(value, prefixes)
            if problem:
                problems.append(f"edge {name} publication: {problem}")
        if not edge["primary_knowledge_source"].startswith("infores:"):
            problems.append(f"edge {name}: the knowledge source is no infores CURIE")
    return problems


def export_kgx(kb: Path, out: Path) -> str:
    result = runner.invoke(app, ["export", "-f", "kgx", "-o", str(out), "--kb", str(kb)])
    assert result.exit_code == 0, result.output
    return result.stderr


def test_the_id_prefix_table_is_the_biolink_models() -> None:
    for category, table in BIOLINK_ID_PREFIXES.items():
        listed = biolink()["classes"][element(category)]["id_prefixes"]
        assert table == tuple(dict.fromkeys(listed)), category


def test_the_bundled_kgx_export_meets_the_validator_rules(tmp_path: Path) -> None:
    stderr = export_kgx(bundled_kb(), tmp_path / "kgx")
    assert kgx_problems(tmp_path / "kgx") == []
    nodes = {n["ketakb_id"]: n for n in _tsv(tmp_path / "kgx" / "nodes.tsv")}
    assert nodes["ketamine"]["id"] == "CHEBI:6121"  # a drug: Biolink prefers CHEBI to DRUGBANK
    assert nodes["esketamine"]["id"] == "UNII:50LFG02TXD"  # the first it holds in that order
    assert nodes["glun1"]["id"] == "UniProtKB:Q05586"  # a protein: not its gene's NCBIGene
    assert nodes["major-depressive-disorder"]["id"] == "DOID:1470"
    assert "ketakb:" not in (tmp_path / "kgx" / "nodes.tsv").read_text(encoding="utf-8")
    assert len(_tsv(tmp_path / "kgx" / "edges.tsv")) >= 10
    assert "kgx: left out " in stderr and "rapid-antidepressant-effect" in stderr


def test_a_record_gets_the_id_biolink_prefers_and_loses_none_of_its_claims(
        write_record: Callable[[str, str], Path], kb_copy: Path, tmp_path: Path) -> None:
    receptor = kb_copy / "receptors" / "nmda-receptor.yaml"
    receptor.write_text(receptor.read_text(encoding="utf-8").replace(
        "genes: [GRIN1, GRIN2B]", 'genes: [GRIN2B]\nxrefs: {hgnc: "4586", uniprot: Q13224}'),
        encoding="utf-8")
    write_record("effects/rapid-antidepressant-effect.yaml",
                 (kb_copy / "effects" / "rapid-antidepressant-effect.yaml")
                 .read_text(encoding="utf-8") + "xrefs: {mesh: D003863}\n")
    condition = kb_copy / "conditions" / "major-depressive-disorder.yaml"
    condition.write_text(condition.read_text(encoding="utf-8").replace(
        'xrefs: {mesh: D003865, doid: "1470"}',
        'xrefs: {mesh: D003865, doid: "1470", mondo: "0002009"}'), encoding="utf-8")
    stderr = export_kgx(kb_copy, tmp_path / "kgx")
    assert kgx_problems(tmp_path / "kgx") == []
    assert "left out" not in stderr
    nodes = {n["ketakb_id"]: n for n in _tsv(tmp_path / "kgx" / "nodes.tsv")}
    assert nodes["nmda-receptor"]["id"] == "UniProtKB:Q13224"
    assert nodes["nmda-receptor"]["xref"] == "HGNC:4586"
    assert nodes["major-depressive-disorder"]["id"] == "MONDO:0002009"
    edges = {e["id"]: e for e in _tsv(tmp_path / "kgx" / "edges.tsv")}
    assert len(edges) == 3  # every claim but the refuted one
    block = edges["ketakb:ketamine-blocks-nmda-receptor"]
    assert (block["subject"], block["predicate"], block["object"]) == (
        "CHEBI:6121", "biolink:affects", "UniProtKB:Q13224")
    assert (block["qualified_predicate"], block["object_direction_qualifier"]) == (
        "biolink:causes", "decreased")
    assert block["original_predicate"] == "ketakb:channel_blocker_of"


def test_the_rules_catch_a_private_prefix(tmp_path: Path) -> None:
    folder = tmp_path / "kgx"
    folder.mkdir()
    (folder / "nodes.tsv").write_text(
        "id\tcategory\nketakb:x\tbiolink:Disease\nDOID:1\tbiolink:NamedThing\n",
        encoding="utf-8")
    (folder / "edges.tsv").write_text(
        "id\tsubject\tpredicate\tobject\tqualified_predicate\tobject_aspect_qualifier\t"
        "object_direction_qualifier\tknowledge_level\tagent_type\tpublications\t"
        "primary_knowledge_source\n"
        "e1\tketakb:x\tbiolink:cures\tDOID:1\t\t\tup\tknowledge_assertion\t\t\tketakb\n",
        encoding="utf-8")
    problems = "\n".join(kgx_problems(folder))
    assert "'ketakb:x' has the prefix 'ketakb'" in problems
    assert "'biolink:cures' is no Biolink predicate" in problems
    assert "object_direction_qualifier 'up'" in problems
    assert "e1: no agent_type" in problems
    assert "no infores CURIE" in problems


def test_every_predicate_mapping_is_valid_biolink() -> None:
    enums = biolink()["enums"]
    for name, mapping in {**PREDICATE_MAP, "(fallback)": FALLBACK_MAPPING}.items():
        for predicate in filter(None, (mapping.predicate, mapping.qualified_predicate)):
            assert _is_predicate(element(predicate)), (name, predicate)
        for value, enum in ((mapping.object_direction_qualifier, "DirectionQualifierEnum"),
                            (mapping.object_aspect_qualifier,
                             "GeneOrGeneProductOrChemicalEntityAspectEnum")):
            assert not value or value in enums[enum]["permissible_values"], (name, value)
    assert set(KNOWLEDGE_LEVEL.values()) <= set(enums["KnowledgeLevelEnum"]["permissible_values"])
