"""The query library (`ketakb.query.queries`) on the query fixture KB, without the CLI."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ketakb import open_kb
from ketakb.output import render
from ketakb.output.citations import bibtex, csl_json, split_author, text_citation
from ketakb.pipeline.validation import validate_kb
from ketakb.query.chains import step_ends
from ketakb.query.queries import KnowledgeBase, NotFound
from tests.conftest import DATA

QUERY_KB = DATA / "query-kb"
CLAIM_KEYS = {"id", "host", "subject", "predicate", "object", "statement", "status", "context",
              "figures", "evidence", "inventory", "searches", "successor", "supersedes", "notes",
              "certainty"}
CHAIN = ["ketamine-blocks-nmda-receptor", "nmda-block-leads-to-bdnf",
         "bdnf-leads-to-antidepressant-effect"]


@pytest.fixture
def kb() -> Iterator[KnowledgeBase]:
    with open_kb(QUERY_KB) as knowledge:
        yield knowledge


def test_fixture_kb_is_valid() -> None:
    report = validate_kb(QUERY_KB, use_cache=False)
    assert report.findings == []


@pytest.mark.parametrize("query", ["nmda-receptor", "NMDAR", "nmdar", "NMDA receptor",
                                   "n-methyl-d-aspartate receptor", "NMDA-Receptor"])
def test_resolve_by_id_name_or_synonym_in_any_case(kb: KnowledgeBase, query: str) -> None:
    assert [m.id for m in kb.resolve(query)] == ["nmda-receptor"]


def test_lookup_suggests_close_names(kb: KnowledgeBase) -> None:
    with pytest.raises(NotFound) as caught:
        kb.lookup("ketamin")
    assert caught.value.matches == []
    assert "ketamine" in [m.id for m in caught.value.suggestions]


def test_show_lists_every_claim_involving_the_record_wherever_stored(
        kb: KnowledgeBase) -> None:
    doc = kb.show("bdnf-signalling")
    assert doc is not None
    assert doc["kind"] == "pathway" and doc["name"] == "BDNF signalling"
    hosts = {c["host"] for c in doc["claims"]}
    assert {"ketamine", "nmda-receptor", "ampa-receptor", "bdnf-signalling"} <= hosts
    assert all(set(c) == CLAIM_KEYS for c in doc["claims"])
    assert kb.show("no-such-record") is None


def test_claim_filters(kb: KnowledgeBase) -> None:
    refuted = kb.claims(status="refuted")
    assert [c["id"] for c in refuted] == ["ketamine-agonist-of-nmda-receptor"]
    by_source = {c["id"] for c in kb.claims(source="zanos-2016")}
    assert by_source == {"hnk-metabolite-of-ketamine", "hnk-activates-ampa", "ampa-leads-to-bdnf",
                         "esketamine-enantiomer-of-ketamine"}
    peer = {c["id"] for c in kb.claims(about="ketamine", peer_reviewed=True)}
    assert "ketamine-blocks-nmda-receptor" in peer
    assert "ketamine-used-for-markup" not in peer  # only a web page supports it
    assert [c["id"] for c in kb.claims(predicate="metabolite_of")] == [
        "hnk-metabolite-of-ketamine"]


def test_search_is_ranked_with_reasons(kb: KnowledgeBase) -> None:
    hits = kb.search("BDNF")
    assert hits[0]["id"] == "bdnf-signalling"  # a name hit outranks statements
    assert set(hits[0]) == {"id", "kind", "name", "score", "matched"}
    assert {m["field"] for m in hits[0]["matched"]} >= {"name", "synonym"}
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert kb.search("zzzzqqq") == []
    assert kb.search('"unbalanced AND (') is not None


def test_explain_finds_every_chain_in_order(kb: KnowledgeBase) -> None:
    result = kb.explain("rapid-antidepressant-effect")
    assert set(result) == {"target", "from", "paths", "chains", "truncated"}
    assert result["truncated"] is False
    paths = [[c["id"] for c in path] for path in result["paths"]]
    assert CHAIN in paths
    assert paths == sorted(paths, key=lambda p: (len(p), p))
    for path in result["paths"]:
        assert step_ends(path[0])[0] == "ketamine"
        assert step_ends(path[-1])[1] == "rapid-antidepressant-effect"
        for before, after in itertools.pairwise(path):
            assert step_ends(before)[1] == step_ends(after)[0]
    assert all(c["status"] not in ("refuted", "outdated")
               for path in result["paths"] for c in path)


def test_explain_follows_metabolites_from_the_parent_drug(kb: KnowledgeBase) -> None:
    paths = [[c["id"] for c in p] for p in kb.explain("ampa-receptor")["paths"]]
    assert paths == [["hnk-metabolite-of-ketamine", "hnk-activates-ampa"]]
    # the parent's claims are never credited to the metabolite
    assert kb.explain("nmda-receptor", "hydroxynorketamine")["paths"] == []


def test_explain_leaves_out_withdrawn_steps_unless_asked(kb: KnowledgeBase) -> None:
    ids = {c["id"] for p in kb.explain("nmda-receptor")["paths"] for c in p}
    assert ids == {"ketamine-blocks-nmda-receptor"}
    ids = {c["id"] for p in kb.explain("nmda-receptor", include_withdrawn=True)["paths"]
           for c in p}
    assert ids == {"ketamine-blocks-nmda-receptor", "ketamine-agonist-of-nmda-receptor"}


def test_explain_depth_bound(kb: KnowledgeBase) -> None:
    assert kb.explain("rapid-antidepressant-effect", max_depth=1)["paths"] == []
    short = kb.explain("rapid-antidepressant-effect", max_depth=2)["paths"]
    assert [[c["id"] for c in p] for p in short] == [
        ["ketamine-increases-bdnf", "bdnf-leads-to-antidepressant-effect"]]


def test_conflicts(kb: KnowledgeBase) -> None:
    result = kb.conflicts()
    disputed = {d["claim"]["id"]: d for d in result["disputed"]}
    assert set(disputed) == {"ketamine-agonist-of-nmda-receptor", "ketamine-decreases-bdnf",
                             "hnk-activates-ampa"}
    assert disputed["hnk-activates-ampa"]["supports"] == ["zanos-2016"]
    assert disputed["hnk-activates-ampa"]["disputes"] == ["review-2018"]
    pairs = [{c["id"] for c in o["claims"]} for o in result["opposing"]]
    assert {"ketamine-increases-bdnf", "ketamine-decreases-bdnf"} in pairs
    assert {"ketamine-blocks-nmda-receptor", "ketamine-agonist-of-nmda-receptor"} in pairs


def test_sources_of_a_record(kb: KnowledgeBase) -> None:
    assert [s["id"] for s in kb.sources("hydroxynorketamine")] == ["review-2018", "zanos-2016"]
    assert [s["id"] for s in kb.sources("berman-2000")] == ["berman-2000"]
    assert len(kb.sources()) == 5
    assert kb.cited_by("label-2019") == ["esketamine-approved-for-mdd"]


def test_graph_focus_and_chain(kb: KnowledgeBase) -> None:
    near = kb.graph("nmda-receptor", depth=1)
    assert {n["id"] for n in near["nodes"]} == {"nmda-receptor", "ketamine", "bdnf-signalling"}
    chain = kb.graph(to="rapid-antidepressant-effect", include_withdrawn=False)
    assert "dissociation" not in {n["id"] for n in chain["nodes"]}
    assert {e["id"] for e in chain["edges"]} >= set(CHAIN)


def test_stats(kb: KnowledgeBase, tmp_path: Path) -> None:
    stats = kb.stats()
    assert stats["records"]["agent"] == 3 and stats["records"]["source"] == 5
    assert stats["claims"]["total"] == 16
    assert stats["claims"]["by_status"]["refuted"] == 1
    assert 0 < stats["claims"]["peer_reviewed_share"] < 1
    assert stats["sources"]["review"] == 1
    assert stats["quotes"]["verified"] is None


def test_stats_verifies_quotes(tmp_path: Path) -> None:
    from tests.conftest import ARCHIVES, VALID_KB

    with open_kb(VALID_KB) as knowledge:
        quotes = knowledge.stats(ARCHIVES)["quotes"]
    assert quotes == {"total": 2, "archived": 2, "verified": 2, "not_found": 0}


# -- citations ----------------------------------------------------------------------------


def test_authors_split_the_vancouver_way() -> None:
    assert split_author("Berman RM") == {"family": "Berman", "given": "R. M."}
    assert split_author("Smith, Jane") == {"family": "Smith", "given": "Jane"}
    assert split_author("World Health Organization") == {"literal": "World Health Organization"}


def test_text_citation(kb: KnowledgeBase) -> None:
    source = kb.record("berman-2000")
    assert source is not None
    line = text_citation(source)
    assert line.startswith("Berman RM, Cappiello A, Anand A, Oren DA, Heninger GR, Charney DS, "
                           "et al. Antidepressant effects")
    assert "Biological Psychiatry. 2000;47(4):351-354." in line
    assert "doi:10.1016/S0006-3223(99)00230-9." in line and "PMID: 10686270." in line


def _bibtex_entries(text: str) -> list[tuple[str, str, dict[str, str]]]:
    """A small strict BibTeX reader: balanced braces, `key = {value}` or macro fields."""
    entries = []
    pos = 0
    header = re.compile(r"\s*@(\w+)\{([^,\s{}]+),")
    while pos < len(text.rstrip()):
        match = header.match(text, pos)
        assert match, f"no entry at {text[pos:pos + 40]!r}"
        pos = match.end()
        fields: dict[str, str] = {}
        while True:
            field = re.compile(r"\s*(\w+) = ").match(text, pos)
            if field is None:
                closing = re.compile(r"\s*\}\n?").match(text, pos)
                assert closing, f"bad entry end at {text[pos:pos + 40]!r}"
                pos = closing.end()
                break
            pos = field.end()
            if text[pos] == "{":
                depth, start = 0, pos
                while True:
                    char = text[pos]
                    if char == "\\":
                        pos += 2
                        continue
                    depth += {"{": 1, "}": -1}.get(char, 0)
                    pos += 1
                    if depth == 0:
                        break
                value = text[start + 1:pos - 1]
            else:
                macro = re.compile(r"[a-z]+").match(text, pos)
                assert macro
                value, pos = macro.group(), macro.end()
            fields[field.group(1)] = value
            comma = re.compile(r",?\n").match(text, pos)
            assert comma
            pos = comma.end()
        entries.append((match.group(1), match.group(2), fields))
    return entries


def test_bibtex_parses_with_unique_keys_and_escapes(kb: KnowledgeBase) -> None:
    sources = kb.sources()
    entries = _bibtex_entries(bibtex([*sources, sources[0]]))
    keys = [key for _, key, _ in entries]
    assert len(keys) == len(set(keys)) == len(sources) + 1
    by_key = {key: (kind, fields) for kind, key, fields in entries}
    kind, zanos = by_key["zanos-2016"]
    assert kind == "article"
    assert r"50\% \& \{more\} \#1\_x" in zanos["title"]
    assert zanos["month"] == "may" and zanos["doi"] == "10.1038/nature17998"
    assert by_key["berman-2000"][1]["author"].startswith("Berman, R. M. and Cappiello, A.")
    assert by_key["label-2019"][0] == "techreport"
    assert "{" not in by_key["clinic-post"][1]["url"]


def test_csl_json_follows_the_schema(kb: KnowledgeBase) -> None:
    items = csl_json(kb.sources())
    allowed = {"article-journal", "webpage", "report", "book", "article-newspaper"}
    for item in items:
        assert item["type"] in allowed
        assert isinstance(item["id"], str) and isinstance(item["title"], str)
        parts = item["issued"]["date-parts"]
        assert len(parts) == 1 and 1 <= len(parts[0]) <= 3
        assert all(isinstance(p, int) for p in parts[0])
        for author in item.get("author", []):
            assert set(author) in ({"family", "given"}, {"literal"})
    zanos = next(i for i in items if i["id"] == "zanos-2016")
    assert zanos["container-title"] == "Nature" and zanos["DOI"] == "10.1038/nature17998"
    assert zanos["PMID"] == "27144355" and zanos["issued"] == {"date-parts": [[2016, 5]]}
    assert next(i for i in items if i["id"] == "clinic-post")["type"] == "webpage"
    assert next(i for i in items if i["id"] == "label-2019")["type"] == "report"


# -- rendering ----------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_record_text_is_never_markup_on_a_terminal(kb: KnowledgeBase,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    doc = kb.show("markup-condition")
    assert doc is not None
    out = _Terminal()
    render.show_table(doc, out)
    text = out.getvalue()
    assert "[red]x[/red]" in text and "[link=https://evil.example]click[/link]" in text
    assert "\\x1b[31mred" in text  # the record's escape shown, not obeyed
    assert "\x1b]0;" not in text and "\x1b[31mred" not in text
    assert "\x1b[" in text  # rich really did style the output


def test_no_color_on_a_terminal(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = _Terminal()
    render.claims_table(kb.claims(status="refuted"), out)
    assert not re.search(r"\x1b\[[0-9;]*3\dm", out.getvalue())  # no foreground colours


def test_mermaid_escapes_labels_and_dashes_withdrawn_edges(kb: KnowledgeBase) -> None:
    text = render.mermaid(kb.graph())
    assert text.startswith("flowchart LR\n")
    assert '["#91;red#93;x#91;/red#93; #27;#91;31mred#27;#91;0m"]:::condition' in text
    assert 'n_ketamine -.->|"agonist_of (refuted)"| n_nmda_receptor' in text
    assert 'n_ketamine -->|"channel_blocker_of"| n_nmda_receptor' in text
    assert "classDef pathway fill:" in text
    assert "\x1b" not in text and "[red]" not in text


def test_dot_is_quoted(kb: KnowledgeBase) -> None:
    text = render.dot(kb.graph())
    assert text.startswith("digraph ketakb {") and text.rstrip().endswith("}")
    assert '"ketamine" -> "nmda-receptor" [label="agonist_of (refuted)", style=dashed];' in text
    assert "\x1b" not in text
