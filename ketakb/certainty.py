"""How sure the KB is that a claim holds: a GRADE-style level computed from its evidence.

Certainty is computed, never typed in: the same rule runs in the validator (whose status
rules read its facts) and in every query that shows a level, so both always agree. Pure
functions over plain values, no I/O, no third-party imports.

The rule, step by step (the README shows it with the designs spelled out):

| step | rule |
|---|---|
| 1. base | an item's design sets its level (`BASE_LEVEL`), never above its source's |
| 2. directness | −1 per step along human – animal – in vitro, claim's system vs item's |
| 3. standing | retracted, withdrawn: counts as nothing; superseded, preprint: −1 |
| 4. independence | one unit per `study` (else source); counted once, least favourably |
| 5. support S | best supporting unit; +1 (max high) for two direct units at least low |
| 6. dispute D | the same over the disputing units; qualifying items are not weighed |
| 7. certainty | S if D is none; S − 1 if D < S; S − 2 (at least none) if D ≥ S |

Base levels (step 1): an item that narrows its source's design (a review cited for one mouse
study) takes the narrowed design's system but counts no higher than the source itself: a
narrative review stays low, a web page very low, whatever it reports. High for meta-analysis,
systematic-review, randomised-controlled-trial, prescribing-information, regulatory-decision;
moderate for guideline, animal-study, in-vitro-study; low for non-randomised-trial,
observational-study, narrative-review; very low for case-series, opinion, web-page. Steps 2 and
3 never take an item below very low; narrative reviews, opinions and web pages have no system of
their own, so no directness penalty. Step 4, least favourably: a unit supports at its weakest
supporting item (all of them direct and peer-reviewed, or it is not) and disputes at its
strongest disputing item; a unit that takes both sides counts only as disputing.

Levels are none < very-low < low < moderate < high (integers 0–4 here). So re-citing a source
never raises certainty, a new independent supporting unit never lowers it, a new disputing item
never raises it, and a retracted source changes nothing (`tests/test_certainty.py`).

A claim's system (spec): `system: clinical` → human; `in-vivo` → animal unless the species
is human; `in-vitro`, `ex-vivo`, `in-silico` → in vitro; no system: a non-human species →
animal, else human (a claim with no context is about people). An item's system: in-vitro-study
→ in vitro; animal-study → animal; meta-analysis and systematic-review → animal when species
are given and none is human, else human; trials, observational studies, case series,
prescribing information, regulatory decisions and guidelines → human; narrative-review,
opinion, web-page → none of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from ketakb import vocab
from ketakb.shapes import AssessmentJson, Certainty, Claim, StoredClaim

#: Certainty levels, weakest first; a level is its index here.
LEVELS = ("none", "very-low", "low", "moderate", "high")
NONE, VERY_LOW, LOW, MODERATE, HIGH = range(5)

#: Step 1: a design's base level.
BASE_LEVEL: dict[str, int] = {
    "meta-analysis": HIGH, "systematic-review": HIGH, "randomised-controlled-trial": HIGH,
    "prescribing-information": HIGH, "regulatory-decision": HIGH,
    "guideline": MODERATE, "animal-study": MODERATE, "in-vitro-study": MODERATE,
    "non-randomised-trial": LOW, "observational-study": LOW, "narrative-review": LOW,
    "case-series": VERY_LOW, "opinion": VERY_LOW, "web-page": VERY_LOW,
}
#: The systems a claim or an item is about, in the order of step 2's distance.
SYSTEMS = ("human", "animal", "in-vitro")
_HUMAN_DESIGNS = frozenset({
    "randomised-controlled-trial", "non-randomised-trial", "observational-study",
    "case-series", "prescribing-information", "regulatory-decision", "guideline"})
_POOLED_DESIGNS = frozenset({"meta-analysis", "systematic-review"})
#: Step 3: a standing's penalty (the void standings count as nothing instead).
STANDING_PENALTY = {"superseded": 1, "preprint": 1}
#: Words that name people in a claim's free-text `context.species`.
_HUMAN_WORDS = frozenset({"human", "humans", "homo sapiens", "people"})


def level_name(level: int) -> str:
    return LEVELS[level]


def _names_people(species: str) -> bool:
    return any(part.strip().casefold() in _HUMAN_WORDS for part in species.split(","))


def claim_system(context: Mapping[str, Any] | None) -> str:
    """The system a claim is about, from its context (see the module docstring)."""
    context = context or {}
    species = context.get("species")
    human = species is None or _names_people(species)
    system = context.get("system")
    if system == "clinical":
        return "human"
    if system == "in-vivo":
        return "human" if species is not None and human else "animal"
    if system is not None:
        return "in-vitro"
    return "human" if human else "animal"


def item_system(design: str, species: tuple[str, ...]) -> str | None:
    """The system an item's evidence is about; None for designs with none of their own."""
    if design == "in-vitro-study":
        return "in-vitro"
    if design == "animal-study":
        return "animal"
    if design in _POOLED_DESIGNS:
        return "animal" if species and "human" not in species else "human"
    return "human" if design in _HUMAN_DESIGNS else None


class Item(NamedTuple):
    """One evidence item as the rule sees it (see `item`)."""

    source: str
    stance: str
    design: str  # the item's own design, else its source's
    ceiling: str  # its source's design: an item counts no higher than what its source is
    species: tuple[str, ...]  # the item's own species, else its source's
    standing: str  # its source's standing status; "current" when none is recorded
    unit: str  # its source's study, else the source id
    peer_reviewed: bool  # its source's type is peer-reviewed and it is no preprint
    authoritative: bool  # peer-reviewed, or a regulator's notice


def item(source: str, stance: str, design: str | None, species: Iterable[str] | None,
         source_type: str | None, source_design: str, source_species: Iterable[str] | None,
         standing: str | None, study: str | None) -> Item:
    """An evidence item with its source's facts: the item's own design and species narrow the
    source's, the study groups sources that report one study."""
    peer = vocab.peer_reviewed(source_type, standing)
    return Item(source, stance, design or source_design, source_design,
                tuple(species if species is not None else source_species or ()),
                standing or "current", study or source, peer,
                peer or (source_type in vocab.AUTHORITATIVE_TYPES and standing != "preprint"))


def items_of(claim: Mapping[str, Any], sources: Mapping[str, Mapping[str, Any]]) -> list[Item]:
    """A claim's evidence items as the rule sees them, from records as the YAML gives them
    (`sources`: source id → record). Items citing no known source are left out."""
    found = []
    for evidence in claim.get("evidence", ()):
        source = sources.get(evidence["source"])
        if source is None or "design" not in source:
            continue
        found.append(item(evidence["source"], evidence["stance"], evidence.get("design"),
                          evidence.get("species"), source.get("type"), source["design"],
                          source.get("species"), (source.get("standing") or {}).get("status"),
                          source.get("study")))
    return found


def peer_supported(items: Iterable[Item]) -> bool:
    """Whether a claim has peer-reviewed support: an item that supports it cites a source
    that is peer-reviewed (`Item.peer_reviewed`: a preprint is not)."""
    return any(it.stance == "supports" and it.peer_reviewed for it in items)


@dataclass(frozen=True)
class Graded:
    """One item's level for one claim system, with the steps that led there."""

    level: int
    system: str | None
    direct: bool
    steps: tuple[str, ...]


@lru_cache(maxsize=4096)
def grade(claim_sys: str, design: str, ceiling: str, species: tuple[str, ...],
          standing: str) -> Graded:
    """Steps 1–3 for one item (the same few combinations recur: cached)."""
    level = min(BASE_LEVEL[design], BASE_LEVEL[ceiling])
    steps = [f"{design}: {LEVELS[level]}" if design == ceiling or BASE_LEVEL[ceiling] >=
             BASE_LEVEL[design] else f"{design} reported by a {ceiling}: {LEVELS[level]}"]
    system = item_system(design, species)
    direct = True
    if system is not None and system != claim_sys:
        distance = abs(SYSTEMS.index(system) - SYSTEMS.index(claim_sys))
        level = max(level - distance, VERY_LOW)
        direct = False
        article = "a" if claim_sys == "human" else "an"
        steps.append(f"{system} evidence for {article} {claim_sys} claim: indirect, −{distance}")
    penalty = STANDING_PENALTY.get(standing, 0)
    if penalty:
        level = max(level - penalty, VERY_LOW)
        steps.append(f"{standing}: −{penalty}")
    return Graded(level, system, direct, tuple(steps))


@dataclass(frozen=True)
class Unit:
    """Step 4: one independent line of evidence on one side of a claim."""

    id: str  # the study, or the source id
    stance: str  # supports | disputes
    sources: tuple[str, ...]
    design: str  # of the item that sets the unit's level
    system: str | None
    level: int
    direct: bool
    peer_reviewed: bool
    authoritative: bool  # peer-reviewed, or a regulator's document
    steps: tuple[str, ...]


@dataclass(frozen=True)
class Assessment:
    """A claim's certainty and how it was reached (`explain` shows `steps`)."""

    system: str  # the claim's system
    level: int  # the certainty, steps 1–7
    support: int  # S
    dispute: int  # D
    units: tuple[Unit, ...]  # supporting units first, then disputing ones
    ignored: tuple[Item, ...]  # qualifying items and items from void sources
    steps: tuple[str, ...]

    @property
    def name(self) -> str:
        return LEVELS[self.level]

    def side(self, stance: str) -> list[Unit]:
        return [unit for unit in self.units if unit.stance == stance]

    @property
    def void_only(self) -> bool:
        """Every item that supports the claim cites a retracted or withdrawn source."""
        supporting = [i for i in self.ignored if i.stance == "supports"]
        return bool(supporting) and not self.side("supports")


def _units(claim_sys: str, items: list[Item], stance: str) -> list[Unit]:
    """Step 4 on one side: each unit at its weakest supporting or strongest disputing item."""
    by_unit: dict[str, list[Item]] = {}
    for it in items:
        by_unit.setdefault(it.unit, []).append(it)
    units = []
    for ident, members in by_unit.items():
        graded = [(grade(claim_sys, m.design, m.ceiling, m.species, m.standing), m)
                  for m in members]
        pick = min if stance == "supports" else max
        chosen, first = pick(graded, key=lambda pair: (pair[0].level, pair[0].direct))
        agree = all if stance == "supports" else any
        units.append(Unit(
            ident, stance, tuple(dict.fromkeys(m.source for m in members)), first.design,
            chosen.system, chosen.level, agree(g.direct for g, _ in graded),
            agree(m.peer_reviewed for m in members), agree(m.authoritative for m in members),
            chosen.steps))
    return units


def _side_level(units: list[Unit]) -> tuple[int, bool]:
    """Steps 5 and 6: the best unit's level, up one for two direct units at least low."""
    if not units:
        return NONE, False
    best = max(unit.level for unit in units)
    upgraded = sum(unit.direct and unit.level >= LOW for unit in units) >= 2 and best < HIGH
    return best + upgraded, upgraded


def assess(context: Mapping[str, Any] | None, items: Iterable[Item]) -> Assessment:
    """The certainty that a claim with this context holds, given its evidence items."""
    return assess_system(claim_system(context), tuple(items))


def assess_system(claim_sys: str, items: tuple[Item, ...]) -> Assessment:
    """`assess` for a claim whose system is already known."""
    ignored = tuple(i for i in items if i.stance == "qualifies"
                    or i.standing in vocab.VOID_STANDINGS)
    weighed = [i for i in items if i not in ignored]
    disputing_units = {i.unit for i in weighed if i.stance == "disputes"}
    support_units = _units(claim_sys, [i for i in weighed if i.stance == "supports"
                                       and i.unit not in disputing_units], "supports")
    dispute_units = _units(claim_sys, [i for i in weighed if i.stance == "disputes"],
                           "disputes")
    support, up_s = _side_level(support_units)
    dispute, up_d = _side_level(dispute_units)
    if dispute == NONE:
        level = support
    elif dispute < support:
        level = support - 1
    else:
        level = max(support - 2, NONE)
    steps = [f"claim system: {claim_sys}"]
    for unit in (*support_units, *dispute_units):
        steps.append(f"{unit.stance} {unit.id} ({', '.join(unit.sources)}): "
                     f"{'; '.join(unit.steps)} → {LEVELS[unit.level]}")
    steps.append(f"support S = {LEVELS[support]}"
                 + (" (two direct independent units: +1)" if up_s else ""))
    steps.append(f"dispute D = {LEVELS[dispute]}"
                 + (" (two direct independent units: +1)" if up_d else ""))
    steps.append(f"certainty = {LEVELS[level]}")
    return Assessment(claim_sys, level, support, dispute,
                      (*support_units, *dispute_units), ignored, tuple(steps))


# -- the JSON the read side shows ----------------------------------------------------------


def of_claim(claim: Mapping[str, Any], sources: Mapping[str, Mapping[str, Any]]
             ) -> Assessment:
    """A claim's assessment, from the claim and its sources as the YAML gives them."""
    return assess(claim.get("context"), items_of(claim, sources))


def summary(assessment: Assessment) -> Certainty:
    """A claim's "certainty" key: its level, S, D and system."""
    return {"level": LEVELS[assessment.level], "support": LEVELS[assessment.support],
            "dispute": LEVELS[assessment.dispute], "system": assessment.system}


#: What the level of a claim reads of its items: each item's unit (as the index of its first
#: occurrence) and its facts, not the source ids.
_Shape = tuple[tuple[int, str, str, str, tuple[str, ...], str, bool, bool], ...]


@lru_cache(maxsize=4096)
def _summary(claim_sys: str, shape: _Shape) -> Certainty:
    """`summary` of the claims whose evidence has this shape: computed once for them all (a
    large KB has far fewer shapes than claims; the text of the steps is what costs)."""
    items = tuple(Item(str(unit), stance, design, ceiling, species, standing, str(unit), peer,
                       authority)
                  for unit, stance, design, ceiling, species, standing, peer, authority in shape)
    return summary(assess_system(claim_sys, items))


def with_certainty(claim: StoredClaim, sources: Mapping[str, Mapping[str, Any]]) -> Claim:
    """A claim as queries and exports give it: `claim_json` plus its computed "certainty".
    The one place a claim's JSON gains it, so every command and export agrees."""
    first: dict[str, int] = {}
    shape = tuple((first.setdefault(it.unit, len(first)), it.stance, it.design, it.ceiling,
                   it.species, it.standing, it.peer_reviewed, it.authoritative)
                  for it in items_of(claim, sources))
    return {**claim, "certainty": {**_summary(claim_system(claim.get("context")), shape)}}


def assessment_json(assessment: Assessment) -> AssessmentJson:
    """How the certainty was reached, every unit and step: what `show CLAIM-ID` prints."""
    return {
        "system": assessment.system,
        "units": [{"id": unit.id, "stance": unit.stance, "sources": list(unit.sources),
                   "design": unit.design, "system": unit.system, "direct": unit.direct,
                   "peer_reviewed": unit.peer_reviewed, "level": LEVELS[unit.level],
                   "steps": list(unit.steps)} for unit in assessment.units],
        "support": LEVELS[assessment.support], "dispute": LEVELS[assessment.dispute],
        "level": LEVELS[assessment.level],
        "ignored": [{"source": it.source, "stance": it.stance, "standing": it.standing}
                    for it in assessment.ignored],
        "steps": list(assessment.steps)}
