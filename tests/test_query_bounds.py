"""Queries on hostile KBs finish within seconds and say when they stopped early: a densely
linked graph (`explain`, `graph --to`), thousands of opposing claims on one pair
(`conflicts`), and a summary of 900 KB full of the searched word (`search`).

The CLI runs in a subprocess with a timeout, so a regression fails the test instead of hanging
the suite; each timeout is many times the query's normal second.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ketakb import open_kb
from ketakb.pipeline.validation import validate_kb
from ketakb.query import chains as chain_search
from ketakb.query.chains import Step, Steps, find_chains
from ketakb.query.search import LONG_TEXT, long_snippet, text_pieces

#: Seconds a hostile query may take: each took minutes before it was bounded.
TIMEOUT = 30
PATHWAYS = [f"p{n:02d}" for n in range(30)]


def _write(root: Path, folder: str, record: dict[str, Any]) -> None:
    path = root / folder / f"{record['id']}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(record, sort_keys=False, width=1 << 20), encoding="utf-8")


def _claim(ident: str, subject: str, predicate: str, obj: str,
           status: str = "supported", **extra: Any) -> dict[str, Any]:
    second = "disputes" if status == "contested" else "supports"
    return {"id": ident, "subject": subject, "predicate": predicate, "object": obj,
            "statement": f"{subject} {predicate} {obj}.", "status": status, **extra,
            "evidence": [{"source": "paper-a", "stance": "supports"},
                         {"source": "paper-b", "stance": second}]}


def _kb(root: Path, agent_claims: list[dict[str, Any]], summary: str = "A drug.") -> Path:
    """A valid KB: two journal articles and the agent ketamine with these claims."""
    for source in ("paper-a", "paper-b"):
        _write(root, "sources", {"id": source, "title": f"Paper {source}",
                                 "type": "journal-article", "design": "randomised-controlled-trial",
                                 "journal": "J", "date": "2020"})
    _write(root, "agents", {"id": "ketamine", "name": "Ketamine", "summary": summary,
                            "claims": agent_claims})
    return root


@pytest.fixture(scope="module")
def dense_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ketamine activates each of 30 pathways, each activates every other, and only p00 leads
    to the effect: a chain may wander the pathways in any order before p00, so there are
    millions of chains, and the walks that pass p00 early are all dead ends."""
    root = _kb(tmp_path_factory.mktemp("dense"), [
        _claim(f"ketamine-activates-{p}", "ketamine", "activates", p) for p in PATHWAYS])
    _write(root, "effects", {"id": "relief", "name": "Relief", "summary": "The effect.",
                             "type": "therapeutic"})
    for pathway in PATHWAYS:
        claims = [_claim(f"{pathway}-activates-{other}", pathway, "activates", other)
                  for other in PATHWAYS if other != pathway]
        if pathway == "p00":
            claims.append(_claim("p00-leads-to-relief", "p00", "leads_to", "relief"))
        _write(root, "pathways", {"id": pathway, "name": f"Pathway {pathway}",
                                  "summary": "A pathway.", "claims": claims})
    return root


def ketakb(kb: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess (the private index cache comes through the environment)."""
    return subprocess.run([sys.executable, "-m", "ketakb", *args, "--kb", str(kb)],
                          capture_output=True, text=True, encoding="utf-8", timeout=TIMEOUT,
                          check=False)


def test_dense_kb_is_valid(dense_kb: Path) -> None:
    assert validate_kb(dense_kb, use_cache=False).findings == []


def test_explain_on_a_dense_graph_stops_and_says_so(dense_kb: Path) -> None:
    result = ketakb(dense_kb, "explain", "relief", "--depth", "8")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "Ketamine → Relief: the first 1000 chains by length; the search stopped there "
        "(narrow it with --through or a smaller --depth)")
    doc = json.loads(ketakb(dense_kb, "explain", "relief", "--depth", "8", "-f", "json").stdout)
    assert doc["truncated"] is True and len(doc["paths"]) == chain_search.MAX_PATHS
    # the first chains of the full answer: all 842 of at most four steps, then five-step ones
    lengths = [len(path) for path in doc["paths"]]
    assert lengths == sorted(lengths)
    assert lengths.count(2) == 1 and lengths.count(3) == 29 and lengths.count(4) == 29 * 28
    assert set(lengths[842:]) == {5}


def test_explain_through_a_record_finds_the_chains_past_the_cap(dense_kb: Path) -> None:
    """The chains through p27, p28 and p29 are none of the first thousand; the search looks
    for them, it does not filter the first thousand."""
    result = ketakb(dense_kb, "explain", "relief", "--through", "p29", "--through", "p28",
                    "--through", "p27", "-f", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    # ketamine, the three in any order, p00, relief; or one more pathway among them
    assert len(doc["paths"]) == 6 + 26 * 24 and doc["truncated"] is False
    for path in doc["paths"]:
        assert {"p27", "p28", "p29"} <= {claim["object"] for claim in path}


def test_graph_to_on_a_dense_graph_stops_and_says_so(dense_kb: Path) -> None:
    result = ketakb(dense_kb, "graph", "--to", "relief", "--depth", "8")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("flowchart LR\n")
    assert "the search stopped there; narrow it with --through" in result.stderr
    doc = json.loads(ketakb(dense_kb, "graph", "--to", "relief", "-f", "json").stdout)
    assert doc["truncated"] is True


def test_a_search_cut_short_before_any_chain_is_not_a_no(dense_kb: Path) -> None:
    from typer.testing import CliRunner

    from ketakb.cli import app

    with mock.patch.object(chain_search, "MAX_WORK", 20):
        with open_kb(dense_kb) as kb:
            result = kb.explain("relief", max_depth=8)
        assert result["paths"] == [] and result["truncated"] is True
        run = CliRunner().invoke(app, ["explain", "relief", "--kb", str(dense_kb)])
        graph = CliRunner().invoke(app, ["graph", "--to", "relief", "--kb", str(dense_kb)])
    assert run.exit_code == 1
    assert "stopped before finding" in run.stdout and "stopped before finding" in run.stderr
    assert "no chain" not in run.stderr
    assert graph.exit_code == 1 and "stopped before finding one" in graph.stderr


# -- the chain search against every chain, on small random graphs --------------------------

NODES = "abcdef"


def _every_chain(edges: list[tuple[str, str]], start: str, goal: str, depth: int,
                 through: set[str]) -> list[list[str]]:
    """All chains, by brute force: claim ids, sorted by length and then ids."""
    found = []

    def walk(node: str, path: list[int], seen: list[str]) -> None:
        if node == goal:
            if through <= set(seen):
                found.append([f"c{n:02d}" for n in path])
            return
        if len(path) == depth:
            return
        for n, (origin, end) in enumerate(edges):
            if origin == node and end not in seen:
                walk(end, [*path, n], [*seen, end])

    if start != goal:
        walk(start, [], [start])
    return sorted(found, key=lambda chain: (len(chain), chain))


@settings(max_examples=300, deadline=None)
@given(edges=st.lists(st.tuples(st.sampled_from(NODES), st.sampled_from(NODES)), max_size=24),
       ends=st.tuples(st.sampled_from(NODES), st.sampled_from(NODES)),
       through=st.sets(st.sampled_from(NODES), max_size=3),
       depth=st.integers(1, 6), limit=st.integers(1, 12))
def test_chain_search_returns_the_first_chains_of_the_full_answer(
        edges: list[tuple[str, str]], ends: tuple[str, str], through: set[str], depth: int,
        limit: int) -> None:
    steps = Steps()
    steps.add(Step.of(f"c{n:02d}", origin, "activates", end)
              for n, (origin, end) in enumerate(edges) if origin != end)
    steps.sort()
    everything = _every_chain([e if e[0] != e[1] else ("", "") for e in edges], *ends, depth,
                              through)
    with mock.patch.object(chain_search, "MAX_PATHS", limit):
        chains, truncated = find_chains(steps, *ends, depth, through)
    assert [[step.id for step in chain] for chain in chains] == everything[:limit]
    assert truncated == (len(everything) > limit)


# -- conflicts -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def contested_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,300 contested claims, half `increases` and half `decreases`, on one pair."""
    root = _kb(tmp_path_factory.mktemp("contested"), [
        _claim(f"ketamine-{predicate}-bdnf-{n:04d}", "ketamine", predicate, "bdnf",
               status="contested", context={"dose": f"{n} mg/kg"})
        for n, predicate in zip(range(3300), itertools.cycle(("decreases", "increases")))])
    _write(root, "pathways", {"id": "bdnf", "name": "BDNF", "summary": "A pathway."})
    return root


def test_conflicts_on_thousands_of_opposing_claims_is_as_long_as_the_claims(
        contested_kb: Path) -> None:
    result = ketakb(contested_kb, "conflicts")
    assert result.returncode == 0, result.stderr
    assert "disputed claims (3300)" in result.stdout and "opposing claims (1)" in result.stdout
    lines = result.stdout.splitlines()
    assert sum(line.startswith("  ketamine decreases bdnf") for line in lines) == 1650
    assert sum(line.startswith("  vs ketamine increases bdnf") for line in lines) == 1650
    doc = json.loads(ketakb(contested_kb, "conflicts", "-f", "json").stdout)
    assert len(doc["disputed"]) == 3300 and len(doc["opposing"]) == 1
    ids = [claim["id"] for claim in doc["opposing"][0]["claims"]]
    assert ids == sorted(ids, key=lambda i: (i.split("-")[1], i)) and len(set(ids)) == 3300


def test_conflicts_group_each_side_of_an_opposition(tmp_path: Path) -> None:
    """Two claims against one: one entry, the side with the first id first."""
    root = _kb(tmp_path, [
        _claim("b-up", "ketamine", "increases", "bdnf", status="contested"),
        _claim("a-down", "ketamine", "decreases", "bdnf", status="contested"),
        _claim("c-down", "ketamine", "decreases", "bdnf", status="contested",
               context={"dose": "high"})])
    _write(root, "pathways", {"id": "bdnf", "name": "BDNF", "summary": "A pathway."})
    with open_kb(root) as kb:
        opposing = kb.conflicts()["opposing"]
    assert [[c["id"] for c in item["claims"]] for item in opposing] == [
        ["a-down", "c-down", "b-up"]]


def test_validate_reports_each_opposing_claim_once(tmp_path: Path) -> None:
    """1,000 supported claims, alternately `increases` and `decreases`, on one pair: one KB037
    per claim that contradicts an earlier one (all but the first), each naming the first it
    contradicts and how many more — not one per opposing pair of claims (250,000)."""
    root = _kb(tmp_path, [
        _claim(f"ketamine-{predicate}-bdnf-{n:04d}", "ketamine", predicate, "bdnf",
               context={"dose": f"{n} mg/kg"})
        for n, predicate in zip(range(1000), itertools.cycle(("increases", "decreases")))])
    _write(root, "pathways", {"id": "bdnf", "name": "BDNF", "summary": "A pathway."})
    findings = validate_kb(root, use_cache=False).findings
    opposing = [f for f in findings if f.code == "KB037"]
    assert len(opposing) == 999 and len(findings) == 999
    assert opposing[0].message == ("'ketamine-decreases-bdnf-0001' (decreases) contradicts "
                                   "'ketamine-increases-bdnf-0000' (increases)")
    assert opposing[-1].message == ("'ketamine-decreases-bdnf-0999' (decreases) contradicts "
                                    "'ketamine-increases-bdnf-0000' (increases) and 499 other "
                                    "claims")


# -- search --------------------------------------------------------------------------------


def test_search_in_a_900_kb_summary_full_of_the_word(tmp_path: Path) -> None:
    root = _kb(tmp_path, [_claim("ketamine-activates-bdnf", "ketamine", "activates", "bdnf")],
               summary="glutamate " * 90_000)
    _write(root, "pathways", {"id": "bdnf", "name": "BDNF", "summary": "A pathway."})
    assert (root / "agents" / "ketamine.yaml").stat().st_size > 900_000
    result = ketakb(root, "search", "glutamate", "-f", "json")
    assert result.returncode == 0, result.stderr
    [hit] = json.loads(result.stdout)
    assert hit["id"] == "ketamine"
    assert hit["matched"] == [{"field": "summary", "text": "«glutamate» " * 15 + "«glutamate»…"}]


def test_a_long_text_is_cut_like_a_short_one_around_its_first_match() -> None:
    text = " ".join(f"w{n}" for n in range(3000)) + " NMDA " + " ".join(
        f"v{n}" for n in range(3000))
    assert long_snippet(text, ['"nmda"*']) == (
        "…w2993 w2994 w2995 w2996 w2997 w2998 w2999 «NMDA» v0 v1 v2 v3 v4 v5 v6 v7…")
    pieces = text_pieces(text)
    assert "".join(pieces) == text and all(len(p) <= LONG_TEXT for p in pieces)
    assert all(piece.endswith(" ") for piece in pieces[:-1])  # never inside a word
    chinese = "氯胺酮阻断受体，" * 1000  # no spaces: cut at the commas
    assert all(piece.endswith("，") for piece in text_pieces(chinese))


def test_a_word_longer_than_a_piece_gets_the_start_of_the_text() -> None:
    word = "g" * (LONG_TEXT + 500)
    snippet = long_snippet(word + " end", [f'"{word}"*'])
    assert snippet == word[:LONG_TEXT // 10] + "…"
