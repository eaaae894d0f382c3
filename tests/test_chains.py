"""A chain's net direction (`ketakb.query.chains.direction`) and how explain and graph show
it: signs compose, structural and undirected steps leave the net unasserted and say why."""

from __future__ import annotations

import io

import pytest

from ketakb import open_kb, vocab
from ketakb.output import render
from ketakb.query.chains import NOT_ASSERTED, direction
from ketakb.shapes import Claim, Graph, GraphEdge
from tests.conftest import DATA


def _claim(ident: str, predicate: str, level: str = "moderate") -> Claim:
    return {"id": ident, "host": "a", "subject": "a", "predicate": predicate, "object": "b",
            "statement": "s", "status": "supported", "context": None, "figures": [],
            "evidence": [], "inventory": [], "searches": [], "successor": None,
            "supersedes": None, "notes": None,
            "certainty": {"level": level, "support": level, "dispute": "none",
                          "system": "human"}}


@pytest.mark.parametrize(("predicates", "net"), [
    (["activates"], vocab.RAISES),
    (["inhibits"], vocab.LOWERS),
    (["channel_blocker_of", "activates"], vocab.LOWERS),
    (["channel_blocker_of", "inhibits"], vocab.RAISES),  # blocking an inhibitor raises
    (["channel_blocker_of", "activates", "inhibits", "increases", "required_for"],
     vocab.RAISES),
    (["antagonist_of", "decreases", "treats"], vocab.LOWERS),
])
def test_signs_compose(predicates: list[str], net: str) -> None:
    chain = direction([_claim(f"c{n}", p) for n, p in enumerate(predicates)])
    assert chain["net"] == net and chain["breaks"] == []
    assert chain["effects"] == [vocab.PREDICATES[p].effect for p in predicates]


@pytest.mark.parametrize("breaking", ["part_of", "instance_of", "metabolite_of",
                                      "enantiomer_of", "binds", "modulator_of", "used_for",
                                      "approved_for", "not_a_predicate"])
def test_a_structural_or_undirected_step_leaves_the_net_unasserted(breaking: str) -> None:
    chain = direction([_claim("c0", "inhibits"), _claim("c1", breaking),
                       _claim("c2", "activates")])
    assert chain["net"] == NOT_ASSERTED and chain["breaks"] == ["c1"]


def test_a_chain_is_as_sure_as_its_weakest_link_the_first_on_a_tie() -> None:
    chain = direction([_claim("c0", "inhibits", "high"), _claim("c1", "activates", "low"),
                       _claim("c2", "increases", "low"), _claim("c3", "treats", "moderate")])
    assert chain["weakest"] == {"claim": "c1", "level": "low"}


def test_every_predicate_states_what_it_says_of_a_direction() -> None:
    effects = {vocab.RAISES, vocab.LOWERS, vocab.STRUCTURAL, vocab.UNDIRECTED}
    assert {p.effect for p in vocab.PREDICATES.values()} <= effects


def test_explain_gives_each_path_its_direction_and_the_tree_shows_it() -> None:
    with open_kb(DATA / "query-kb") as kb:
        result = kb.explain("rapid-antidepressant-effect")
        names = kb.names({c["subject"] for p in result["paths"] for c in p}
                         | {c["object"] for p in result["paths"] for c in p} | {"ketamine"})
    assert len(result["chains"]) == len(result["paths"]) > 0
    assert result["chains"] == [direction(path) for path in result["paths"]]
    out = io.StringIO()
    render.explain_table(result, names, out)
    nets = [line.strip() for line in out.getvalue().splitlines() if "⇒ net:" in line]
    assert len(nets) == len(result["paths"])


def test_the_graph_draws_structural_links_without_an_arrowhead() -> None:
    edge: GraphEdge = {"id": "c", "subject": "glun1", "predicate": "part_of",
                       "object": "nmda-receptor", "status": "established"}
    causal: GraphEdge = {**edge, "predicate": "activates"}
    graph: Graph = {"nodes": [], "edges": [edge, causal]}
    assert "n_glun1 ---|" in render.mermaid(graph)
    assert "n_glun1 -->|" in render.mermaid(graph)
    assert render.dot(graph).count("arrowhead=none") == 1
