"""The certainty rule (`ketakb/certainty.py`): its table, and the properties the issue asks for.

Properties, over random claims and evidence: re-citing a source that is already weighed never
raises certainty; a new independent supporting source never lowers it; a new disputing item
never raises it; an item from a retracted or withdrawn source changes nothing.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ketakb import certainty, vocab
from ketakb.certainty import HIGH, LOW, MODERATE, NONE, VERY_LOW, Item, assess, claim_system

CONTEXTS: list[dict[str, Any] | None] = [
    None, {"species": "human"}, {"species": "mouse"}, {"system": "in-vitro"},
    {"system": "in-vivo", "species": "rat"}, {"system": "clinical"},
]


def make(source: str, stance: str = "supports", design: str = "randomised-controlled-trial",
         species: tuple[str, ...] = ("human",), standing: str | None = None,
         study: str | None = None, source_type: str = "clinical-trial") -> Item:
    return certainty.item(source, stance, None, None, source_type, design, species, standing,
                          study)


def test_every_design_has_a_base_level() -> None:
    assert set(certainty.BASE_LEVEL) == set(vocab.DESIGNS)


def test_claim_system_follows_the_context() -> None:
    assert claim_system(None) == "human"
    assert claim_system({"species": "rodent"}) == "animal"
    assert claim_system({"species": "mouse, rat, human"}) == "human"
    assert claim_system({"system": "clinical", "species": "rat"}) == "human"
    assert claim_system({"system": "in-vivo"}) == "animal"
    assert claim_system({"system": "in-vivo", "species": "human"}) == "human"
    assert claim_system({"system": "ex-vivo", "species": "human"}) == "in-vitro"


def test_levels_by_design_directness_and_standing() -> None:
    assert assess(None, [make("a")]).level == HIGH
    assert assess(None, [make("a", design="animal-study", species=("mouse",))]).level == LOW
    assert assess(None, [make("a", design="in-vitro-study", species=())]).level == VERY_LOW
    assert assess({"species": "mouse"}, [make("a", design="animal-study",
                                              species=("mouse",))]).level == MODERATE
    # a review has no system of its own: no penalty, at its low base
    assert assess({"species": "mouse"}, [make("a", design="narrative-review", species=(),
                                              source_type="review")]).level == LOW
    assert assess(None, [make("a", standing="preprint")]).level == MODERATE
    assert assess(None, [make("a", standing="retracted")]).level == NONE


def test_a_pooled_animal_review_is_animal_evidence() -> None:
    pooled = make("a", design="meta-analysis", species=("mouse", "rat"))
    assert certainty.item_system(pooled.design, pooled.species) == "animal"
    assert assess(None, [pooled]).level == MODERATE


def test_two_direct_units_raise_support_one_level_but_one_study_counts_once() -> None:
    low = {"design": "observational-study"}
    assert assess(None, [make("a", **low), make("b", **low)]).level == MODERATE
    assert assess(None, [make("a", **low, study="s"), make("b", **low, study="s")]).level == LOW
    assert assess(None, [make("a", **low), make("a", **low)]).level == LOW


def test_dispute_lowers_support() -> None:
    trial, cohort = make("a"), make("b", "disputes", design="observational-study")
    assert assess(None, [trial, cohort]).level == MODERATE  # 0 < D < S: S - 1
    against = make("c", "disputes")
    assert assess(None, [trial, against]).level == LOW  # D >= S: S - 2
    assert assess(None, [cohort]).level == NONE


def test_a_source_on_both_sides_counts_only_as_disputing() -> None:
    result = assess(None, [make("a"), make("a", "disputes")])
    assert [unit.stance for unit in result.units] == ["disputes"]
    assert result.level == NONE


def test_steps_name_every_unit_and_the_result() -> None:
    result = assess({"species": "human"}, [make("a"), make("b", design="in-vitro-study",
                                                             species=())])
    text = "\n".join(result.steps)
    assert "in-vitro evidence for a human claim: indirect, −2" in text
    assert text.endswith("certainty = high")
    assert result.name == "high"


# -- properties -------------------------------------------------------------------------------

_SOURCES = st.sampled_from(["s1", "s2", "s3", "s4", "s5"])
_ITEMS = st.builds(
    make, _SOURCES, st.sampled_from(["supports", "disputes", "qualifies"]),
    st.sampled_from(sorted(vocab.DESIGNS)),
    st.sampled_from([(), ("human",), ("mouse",), ("rat", "human")]),
    st.sampled_from([None, "current", "corrected", "superseded", "preprint", "retracted",
                     "withdrawn"]),
    st.sampled_from([None, None, "study-x"]),
    st.sampled_from(sorted(vocab.SOURCE_TYPES)))
_CLAIMS = st.tuples(st.sampled_from(CONTEXTS), st.lists(_ITEMS, max_size=6))


@settings(max_examples=400, deadline=None)
@given(_CLAIMS, st.data())
def test_reciting_a_weighed_source_never_raises_certainty(claim: Any, data: Any) -> None:
    context, items = claim
    weighed = [i for i in items if i.stance != "qualifies"
               and i.standing not in vocab.VOID_STANDINGS]
    if not weighed:
        return
    old = data.draw(st.sampled_from(weighed))
    new = data.draw(_ITEMS)._replace(source=old.source, unit=old.unit, standing=old.standing,
                                     peer_reviewed=old.peer_reviewed,
                                     authoritative=old.authoritative)
    if new.stance == "qualifies":
        return
    assert assess(context, [*items, new]).level <= assess(context, items).level


@settings(max_examples=400, deadline=None)
@given(_CLAIMS, _ITEMS)
def test_an_independent_supporting_source_never_lowers_certainty(claim: Any, new: Item) -> None:
    context, items = claim
    new = new._replace(source="fresh", unit="fresh", stance="supports")
    assert assess(context, [*items, new]).level >= assess(context, items).level


@settings(max_examples=400, deadline=None)
@given(_CLAIMS, _ITEMS)
def test_a_disputing_item_never_raises_certainty(claim: Any, new: Item) -> None:
    context, items = claim
    new = new._replace(stance="disputes")
    assert assess(context, [*items, new]).level <= assess(context, items).level


@settings(max_examples=400, deadline=None)
@given(_CLAIMS, _ITEMS)
def test_a_retracted_or_withdrawn_source_changes_nothing(claim: Any, new: Item) -> None:
    context, items = claim
    for standing in vocab.VOID_STANDINGS:
        before, after = assess(context, items), assess(context, [*items,
                                                                 new._replace(standing=standing)])
        assert (after.level, after.support, after.dispute) == (
            before.level, before.support, before.dispute)


def test_level_names_are_ordered() -> None:
    assert certainty.LEVELS.index("low") == LOW
    assert [certainty.level_name(n) for n in range(5)] == list(certainty.LEVELS)
