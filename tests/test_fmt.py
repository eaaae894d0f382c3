"""`ketakb fmt`: canonical form, safety (comments, invalid records, round trips), idempotence."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ketakb.authoring.canonical import canonical_text, comment_lines, same
from ketakb.authoring.fmt import CHANGED, SKIPPED, UNCHANGED, format_paths
from ketakb.cli import app
from ketakb.pipeline.parse import parse_yaml
from ketakb.pipeline.validation import validate_kb
from tests.conftest import ARCHIVES, VALID_KB

runner = CliRunner()


def read_back(text: str) -> dict[str, Any]:
    parsed = parse_yaml(text.encode("utf-8"))
    assert parsed.problems == [] and parsed.value is not None
    return parsed.value


def test_fixture_kb_formats_to_a_valid_canonical_kb(kb_copy: Path) -> None:
    before = {p.name: read_back(p.read_text(encoding="utf-8")) for p in kb_copy.rglob("*.yaml")}
    results = format_paths([kb_copy], check=False)
    assert {r.outcome for r in results} <= {CHANGED, UNCHANGED}
    assert any(r.outcome == CHANGED for r in results)
    assert validate_kb(kb_copy, sources_dir=ARCHIVES).findings == []
    assert all(r.outcome == UNCHANGED for r in format_paths([kb_copy], check=True))
    ketamine = (kb_copy / "agents" / "ketamine.yaml").read_text(encoding="utf-8")
    assert ketamine.startswith("id: ketamine\nname: Ketamine\nsynonyms:")
    assert '  chebi: "6121"\n  drugbank: DB01221\n  pubchem.compound: "3821"\n' in ketamine
    assert ketamine.endswith("stance: qualifies\n") and not ketamine.endswith("\n\n")
    for path in kb_copy.rglob("*.yaml"):  # only order and list normalisation changed
        after = read_back(path.read_text(encoding="utf-8"))
        old = before[path.name]
        if "synonyms" in old:
            old["synonyms"] = sorted(set(old["synonyms"]), key=lambda s: (s.casefold(), s))
        assert same(after, old), path
    assert not list(kb_copy.rglob("*.tmp"))


def test_check_lists_files_and_exits_1_without_writing(kb_copy: Path) -> None:
    original = (kb_copy / "agents" / "ketamine.yaml").read_bytes()
    result = runner.invoke(app, ["fmt", "--check", str(kb_copy)])
    assert result.exit_code == 1
    assert "would reformat" in result.output and "ketamine.yaml" in result.output
    assert (kb_copy / "agents" / "ketamine.yaml").read_bytes() == original
    assert runner.invoke(app, ["fmt", str(kb_copy)]).exit_code == 0
    assert runner.invoke(app, ["fmt", "--check", str(kb_copy)]).exit_code == 0
    assert runner.invoke(app, ["fmt", "--check", "--kb", str(kb_copy)]).exit_code == 0


def test_single_files_and_kind_folders_can_be_named(kb_copy: Path) -> None:
    one = kb_copy / "agents" / "ketamine.yaml"
    results = format_paths([one, kb_copy / "conditions"], check=True)
    assert sorted(r.display.rsplit("/", 1)[-1] for r in results) == [
        "ketamine.yaml", "major-depressive-disorder.yaml"]
    stray = format_paths([kb_copy / "nowhere.yaml"], check=True)
    assert stray[0].outcome == SKIPPED


def test_file_with_a_comment_is_left_alone(write_record: Callable[[str, str], Path]) -> None:
    text = ("id: mdd\nname: MDD   # the short name\nsummary: A mood disorder.\n"
            "synonyms: [b, a]\n")
    path = write_record("conditions/mdd.yaml", text)
    result = runner.invoke(app, ["fmt", str(path)])
    assert result.exit_code == 1
    assert "comments (line 2)" in result.output
    assert path.read_text(encoding="utf-8") == text


def test_comment_detection_ignores_hashes_inside_text() -> None:
    text = ('a: "q # no"\nb: x#y\nc: |\n  # text, not a comment\nd: >-  # header comment\n'
            "  folded\ne: [x, y] # trailing\n")
    assert comment_lines(text) == [5, 7]


def test_modeline_is_kept_and_other_comments_are_not_allowed(
        write_record: Callable[[str, str], Path]) -> None:
    modeline = "# yaml-language-server: $schema=../../schemas/condition.schema.json"
    path = write_record("conditions/mdd.yaml",
                        f"{modeline}\nsummary: A mood disorder.\nname: MDD\nid: mdd\n")
    assert runner.invoke(app, ["fmt", str(path)]).exit_code == 0
    assert path.read_text(encoding="utf-8") == (
        f"{modeline}\nid: mdd\nname: MDD\nsummary: A mood disorder.\n")


def test_invalid_record_is_reported_not_rewritten(
        write_record: Callable[[str, str], Path]) -> None:
    text = "id: mdd\nname: MDD\nsumary: typo\n"
    path = write_record("conditions/mdd.yaml", text)
    result = runner.invoke(app, ["fmt", "--check", str(path)])
    assert result.exit_code == 1
    assert "invalid record" in result.output and "KB022" in result.output
    assert path.read_text(encoding="utf-8") == text


def test_yaml11_hazards_are_quoted_and_read_back_by_both_readers() -> None:
    risky = ["no", "yes", "on", "off", "y", "n", "~", "null", "true", "False", "1.10", "0123",
             "10686270", "2024-01-05", "1e3", "0x1f", "1_000", "12:30", "- item", "@home",
             "a: b", "a #b", "[x]", "{x}", "*star", "&anchor", "!tag", "%pct", "'q'", '"q"',
             "trailing:", " padded", "tab\there", "=", "<<", ".inf"]
    record = {"id": "x", "name": "X", "summary": "S", "synonyms": risky}
    text = canonical_text(record, "condition")
    expected = sorted(set(risky), key=lambda s: (s.casefold(), s))
    assert read_back(text)["synonyms"] == expected
    assert yaml.safe_load(text)["synonyms"] == expected  # a YAML 1.1 reader
    for word in ("no", "on", "y", "1.10", "0123", "2024-01-05"):
        assert f'"{word}"' in text


def test_question_marks_in_a_flow_list_are_quoted() -> None:
    """libyaml reads `[0?]` as one item; PyYAML without libyaml stops a flow item at `?`."""
    record = {"id": "x", "name": "X", "summary": "S", "synonyms": ["0?", "a?b"]}
    text = canonical_text(record, "condition")
    assert "synonyms: [" in text
    assert yaml.load(text, Loader=yaml.SafeLoader)["synonyms"] == ["0?", "a?b"]


def test_long_text_is_folded_within_100_columns_and_reads_back() -> None:
    statement = " ".join(["ketamine blocks the NMDA receptor, per: the #1 source"] * 8)
    record = {"id": "x", "name": "X", "summary": statement,
              "notes": "first paragraph\n\nsecond paragraph"}
    text = canonical_text(record, "condition")
    assert "summary: >-\n" in text and "notes: |-\n" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert read_back(text)["summary"] == statement
    assert yaml.safe_load(text)["notes"] == "first paragraph\n\nsecond paragraph"


def test_new_skeleton_with_its_guide_comments_is_left_alone(kb_copy: Path) -> None:
    assert runner.invoke(app, ["new", "agent", "esketamine", "--kb", str(kb_copy)]).exit_code == 0
    results = format_paths([kb_copy / "agents" / "esketamine.yaml"], check=True)
    assert results[0].outcome == SKIPPED and "comments" in results[0].reason


# -- idempotence, for any text ---------------------------------------------------------------

_text = st.text(min_size=1, max_size=160)
_words = st.lists(st.sampled_from(["ketamine", "no", "1.10", "a:", "#x", "NMDA", "-", "é",
                                   "0.5", "on", "~", "yes", "'", '"', "\\", ":", "x" * 40]),
                  min_size=1, max_size=40).map(" ".join)
_any_text = st.one_of(_text, _words)
_ident = st.from_regex(r"\A[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}\Z")
_evidence = st.fixed_dictionaries(
    {"source": _ident, "stance": st.sampled_from(["supports", "disputes", "qualifies"])},
    optional={"quote": _any_text, "locator": _any_text, "notes": _any_text})
_figure = st.fixed_dictionaries(
    {"measure": st.sampled_from(["response_rate", "remission_rate"]),
     "value": st.one_of(st.integers(-10**6, 10**6),
                        st.floats(allow_nan=False, allow_infinity=False)),
     "unit": st.just("%"), "population": _any_text, "source": _ident},
    optional={"qualifier": st.sampled_from(["<", ">", "≈"]), "comparator": _any_text,
              "n": st.integers(1, 10**6)})
_claim = st.fixed_dictionaries(
    {"id": _ident, "subject": _ident, "predicate": st.just("treats"), "object": _ident,
     "statement": _any_text, "status": st.just("hypothesis"),
     "evidence": st.lists(_evidence, min_size=1, max_size=3)},
    optional={"context": st.fixed_dictionaries({}, optional={"species": _any_text,
                                                              "dose": _any_text}),
              "figures": st.lists(_figure, max_size=2),
              "inventory": st.lists(st.from_regex(r"\AS[0-9]-[0-9]{2}\Z"), max_size=3),
              "notes": _any_text})
_record = st.fixed_dictionaries(
    {"id": _ident, "name": _any_text, "summary": _any_text},
    optional={"synonyms": st.lists(_any_text, max_size=6),
              "xrefs": st.fixed_dictionaries({}, optional={"mesh": st.just("D003865"),
                                                           "chebi": st.just("6121")}),
              "notes": _any_text, "claims": st.lists(_claim, max_size=3)})


@settings(max_examples=150, deadline=None)
@given(_record)
def test_canonical_form_reads_back_and_is_idempotent(record: dict[str, Any]) -> None:
    text = canonical_text(record, "condition")  # verifies the read-back itself
    assert canonical_text(read_back(text), "condition") == text
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert same(yaml.safe_load(text), read_back(text))


def test_canonical_bundled_kb_copy_is_idempotent(tmp_path: Path) -> None:
    """Every record of the fixture KB: formatting twice changes nothing the second time."""
    target = tmp_path / "kb"
    shutil.copytree(VALID_KB, target)
    format_paths([target], check=False)
    snapshot = {p: p.read_bytes() for p in target.rglob("*.yaml")}
    assert all(r.outcome == UNCHANGED for r in format_paths([target], check=False))
    assert snapshot == {p: p.read_bytes() for p in target.rglob("*.yaml")}
