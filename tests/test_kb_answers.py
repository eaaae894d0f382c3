"""What clinicians, researchers and students ask of ketakb, answered by the bundled KB through
the library API: one test per topic of issue #14's "add what users ask for" (pharmacodynamics,
pharmacokinetics, dosing, safety, efficacy, regulation, mechanism).

These hold the KB's coverage, not its code: a curation change that drops an answer fails
here, with the topic's name, before a user finds the gap. Each test asks as a program would,
through `open_kb` and the query methods, never by reading the YAML.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ketakb import bundled_kb, open_kb, units
from ketakb.query.queries import KnowledgeBase
from ketakb.shapes import Claim, FigureHit

README = Path(__file__).resolve().parents[1] / "README.md"
#: What counts as a trial or a pooled analysis of trials, by a source's design.
RANDOMISED = frozenset({"randomised-controlled-trial"})
POOLED = frozenset({"meta-analysis", "systematic-review"})
SUPPORTED = frozenset({"supported", "established"})
DEPRESSION = frozenset({"major-depressive-disorder", "treatment-resistant-depression",
                        "rapid-antidepressant-effect"})


@pytest.fixture(scope="module")
def kb() -> Iterator[KnowledgeBase]:
    with open_kb(bundled_kb()) as knowledge:
        yield knowledge


def designs(kb: KnowledgeBase, claim: Claim, stance: str) -> set[str]:
    """The designs of the sources that take `stance` on `claim`."""
    sources = kb.source_records()
    return {sources[e["source"]].get("design", "") for e in claim["evidence"]
            if e["stance"] == stance and e["source"] in sources}


def claims_between(kb: KnowledgeBase, subject: str, obj: str) -> list[Claim]:
    return [c for c in kb.involving(subject) if c["subject"] == subject and c["object"] == obj]


def routes(hits: list[FigureHit]) -> set[str]:
    return {route for hit in hits if (route := hit["figure"].get("route"))}


# -- pharmacodynamics ------------------------------------------------------------------------

def test_pharmacodynamics_affinity_at_ten_targets_each_with_its_reference(
        kb: KnowledgeBase) -> None:
    hits = [h for h in kb.figures("ketamine", measure="binding") if h["subject"] == "ketamine"]
    targets = {h["object"] for h in hits}
    assert len(targets) >= 10, sorted(targets)
    assert {"nmda-receptor", "mu-opioid-receptor", "kappa-opioid-receptor",
            "dopamine-d2-receptor", "nicotinic-alpha7-receptor"} <= targets
    sources = kb.source_records()
    assert all(h["figure"]["source"] in sources for h in hits)
    assert all(h["figure"].get("assay") or h["figure"].get("species") for h in hits), \
        "every affinity says what it was measured in"
    potency = [p for h in hits if (p := units.potency(h["figure"])) is not None]
    assert potency == sorted(potency, reverse=True), "the table is sorted by potency"


def test_pharmacodynamics_enantiomers_and_metabolite_at_the_nmda_receptor(
        kb: KnowledgeBase) -> None:
    for agent in ("ketamine", "esketamine", "arketamine", "norketamine"):
        assert kb.figures(agent, measure="binding", target="nmda-receptor"), agent


# -- pharmacokinetics ------------------------------------------------------------------------

def test_pharmacokinetics_bioavailability_by_at_least_four_routes(kb: KnowledgeBase) -> None:
    hits = [h for h in kb.figures("ketamine", measure="bioavailability")
            if h["subject"] == "ketamine"]
    assert len(routes(hits)) >= 4, routes(hits)
    assert all(h["figure"]["unit"] == "%" for h in hits)


def test_pharmacokinetics_half_life_clearance_distribution_and_peak(kb: KnowledgeBase) -> None:
    measured = {h["figure"]["measure"] for h in kb.figures(measure="pharmacokinetics")}
    assert {"half_life", "clearance", "volume_of_distribution", "cmax", "tmax",
            "bioavailability"} <= measured
    assert measured <= set(units.MEASURES)


def test_pharmacokinetics_metabolising_enzymes_are_records_with_registry_ids(
        kb: KnowledgeBase) -> None:
    for enzyme in ("cyp2b6", "cyp3a4"):
        assert kb.record(enzyme) is not None, enzyme
        substrate = claims_between(kb, "ketamine", enzyme)
        assert any(c["predicate"] == "substrate_of" and c["status"] in SUPPORTED
                   for c in substrate), enzyme
    cyp3a4 = kb.record("cyp3a4")
    assert cyp3a4 is not None and (cyp3a4.get("xrefs") or {}).get("hgnc")


def test_pharmacokinetics_interactions_change_exposure(kb: KnowledgeBase) -> None:
    interacting = {c["subject"] for c in kb.involving("ketamine-metabolism")
                   if c["predicate"] in ("increases", "decreases") and c["subject"] not in
                   ("ketamine", "esketamine") and c["status"] in SUPPORTED}
    assert {"clarithromycin", "rifampicin"} <= interacting


def test_pharmacokinetics_metabolites_and_their_activity(kb: KnowledgeBase) -> None:
    norketamine = claims_between(kb, "norketamine", "ketamine")
    assert any(c["predicate"] == "metabolite_of" and c["status"] == "established"
               for c in norketamine)
    assert any(c["predicate"] == "metabolite_of"
               for c in claims_between(kb, "hydroxynorketamine", "norketamine"))
    assert kb.figures("norketamine", measure="binding"), "the metabolite's own activity"


def test_pharmacokinetics_esketamine_nasal_spray(kb: KnowledgeBase) -> None:
    hits = kb.figures("esketamine", measure="pharmacokinetics", route="intranasal")
    assert {"bioavailability", "half_life", "tmax"} <= {h["figure"]["measure"] for h in hits}


# -- dosing ----------------------------------------------------------------------------------

def test_dosing_regimens_by_indication_and_route(kb: KnowledgeBase) -> None:
    doses = kb.figures(measure="dose")
    regimens = {(h["object"], route) for h in doses if (route := h["figure"].get("route"))}
    indications = {indication for indication, _ in regimens}
    assert len(indications) >= 3, regimens
    assert {"intravenous", "intranasal"} <= {route for _, route in regimens}
    assert all(h["figure"].get("population") for h in doses)


# -- safety ----------------------------------------------------------------------------------

def test_safety_adverse_effects_with_incidence_against_placebo(kb: KnowledgeBase) -> None:
    against_placebo = {h["object"] for h in kb.figures("esketamine", measure="incidence")
                       if "placebo" in (h["figure"].get("comparator") or "").casefold()}
    assert {"dissociative-effect", "dizziness", "nausea", "sedation",
            "blood-pressure-increase"} <= against_placebo
    assert len(against_placebo) >= 8


def test_safety_monitoring_and_restricted_distribution(kb: KnowledgeBase) -> None:
    actions = kb.timeline("esketamine", agency="FDA")
    assert any(a["action"] == "restricted-distribution" for a in actions)


@pytest.mark.parametrize("harm", ["ketamine-uropathy", "cognitive-impairment",
                                  "abuse-liability", "dissociative-effect"])
def test_safety_harms_of_ketamine_have_peer_reviewed_support(kb: KnowledgeBase,
                                                             harm: str) -> None:
    claims = [c for c in claims_between(kb, "ketamine", harm) if c["predicate"] == "causes"]
    assert any(c["status"] in SUPPORTED and kb.peer_reviewed_support(c) for c in claims), harm


def test_safety_contraindications_from_the_labels(kb: KnowledgeBase) -> None:
    contraindications = [c for agent in ("ketamine", "esketamine")
                         for c in kb.involving(agent)
                         if c["predicate"] == "contraindicated_in" and c["subject"] == agent]
    assert {c["subject"] for c in contraindications} == {"ketamine", "esketamine"}
    assert len(contraindications) >= 4
    assert all(designs(kb, c, "supports") & {"prescribing-information"}
               for c in contraindications)


# -- efficacy --------------------------------------------------------------------------------

def test_efficacy_meta_analyses_give_effect_sizes_with_time_points(kb: KnowledgeBase) -> None:
    sources = kb.source_records()
    pooled = [h for h in kb.figures("ketamine", measure="clinical")
              if sources[h["figure"]["source"]].get("design") in POOLED
              and h["figure"]["measure"] in ("odds_ratio", "risk_ratio", "nnt", "hedges_g",
                                             "standardised_mean_difference")]
    assert len({h["figure"]["source"] for h in pooled}) >= 3
    assert any(h["figure"]["measure"] == "nnt" for h in pooled)
    depression = [h for h in pooled if h["object"] in DEPRESSION]
    assert {"odds_ratio", "nnt"} <= {h["figure"]["measure"] for h in depression}
    assert all(h["figure"].get("timepoint") for h in depression), "each with its time point"


def test_efficacy_landmark_randomised_trials_of_ketamine_and_esketamine(
        kb: KnowledgeBase) -> None:
    randomised = {ident for ident, source in kb.source_records().items()
                  if source.get("design") in RANDOMISED}
    for agent, at_least in (("ketamine", 4), ("esketamine", 4)):
        trials = {e["source"] for c in kb.involving(agent) if c["subject"] == agent
                  and c["predicate"] in ("treats", "causes") for e in c["evidence"]
                  if e["stance"] != "qualifies" and e["source"] in randomised}
        assert len(trials) >= at_least, (agent, sorted(trials))


def test_efficacy_null_trials_are_recorded(kb: KnowledgeBase) -> None:
    """TRANSFORM-1 missed its primary end point; a multisite PTSD trial was null."""
    trd = [c for c in kb.involving("esketamine") if c["object"] == "treatment-resistant-depression"
           and c["predicate"] == "treats"]
    assert any("fedgchin-2019" in {e["source"] for e in c["evidence"]
                                   if e["stance"] != "supports"} for c in trd)
    ptsd = claims_between(kb, "ketamine", "ptsd-symptom-relief")
    assert any(designs(kb, c, "disputes") & RANDOMISED for c in ptsd)


def test_efficacy_comparisons_with_other_treatments(kb: KnowledgeBase) -> None:
    comparators = " ".join((h["figure"].get("comparator") or "").casefold()
                           for h in kb.figures(measure="clinical"))
    for treatment in ("ect", "quetiapine", "midazolam", "placebo"):
        assert treatment in comparators, treatment


@pytest.mark.parametrize(("agent", "outcome"), [
    ("ketamine", "anti-suicidal-effect"), ("ketamine", "bipolar-depression"),
    ("ketamine", "ptsd-symptom-relief"), ("ketamine", "crps"),
    ("ketamine", "neuropathic-pain"), ("ketamine", "postoperative-pain"),
    ("ketamine", "anxiolytic-effect")])
def test_efficacy_each_indication_has_trial_evidence(kb: KnowledgeBase, agent: str,
                                                     outcome: str) -> None:
    claims = claims_between(kb, agent, outcome)
    assert any(designs(kb, c, "supports") & (RANDOMISED | POOLED) for c in claims), outcome


# -- regulation ------------------------------------------------------------------------------

def test_regulation_a_dated_timeline(kb: KnowledgeBase) -> None:
    actions = kb.timeline()
    seen = {(a["agent"], a["agency"], a["action"]) for a in actions}
    assert ("ketamine", "FDA", "approved") in seen, "the anaesthetic approval"
    assert ("ketamine", "DEA", "scheduled") in seen, "controlled-substance scheduling"
    assert {("esketamine", "EMA", "recommended"),
            ("esketamine", "European Commission", "approved")} <= seen
    dates = [a["date"] for a in actions]
    assert dates == sorted(dates)


def test_regulation_every_fda_action_on_esketamine_with_its_date(kb: KnowledgeBase) -> None:
    fda = kb.timeline("esketamine", agency="FDA")
    approvals = {(a["date"], a["indication"]) for a in fda if a["action"] == "approved"}
    assert ("2019-03-05", "treatment-resistant-depression") in approvals
    assert any(date.startswith("2020") and indication == "major-depressive-disorder"
               for date, indication in approvals)
    assert any(a["date"].startswith("2025") and a["action"] == "label-change" for a in fda)
    assert all(a["date"] and a["source"] for a in fda)


# -- mechanism -------------------------------------------------------------------------------

def test_mechanism_human_tests_of_the_opioid_hypothesis_both_ways(kb: KnowledgeBase) -> None:
    claim = kb.claim("opioid-receptors-required-for-antidepressant-effect")
    assert claim is not None and claim["status"] == "contested"
    assert designs(kb, claim, "supports") & RANDOMISED
    assert designs(kb, claim, "disputes")


def test_mechanism_human_tests_of_mtor_and_hydroxynorketamine(kb: KnowledgeBase) -> None:
    mtor = kb.claim("mtor-required-for-antidepressant-effect-in-patients")
    assert mtor is not None and designs(kb, mtor, "disputes") & RANDOMISED
    hnk = kb.claim("hydroxynorketamine-antidepressant-contested")
    assert hnk is not None and "farmer-2020" in {e["source"] for e in hnk["evidence"]
                                                 if e["stance"] == "disputes"}


def test_mechanism_which_cells_nmda_receptors_matter(kb: KnowledgeBase) -> None:
    for site in ("gabaergic-interneuron-disinhibition", "resting-nmda-receptor-transmission"):
        assert any(c["status"] in SUPPORTED | {"contested"} for c in kb.involving(site)), site


def test_mechanism_chains_to_the_antidepressant_effect_raise_it(kb: KnowledgeBase) -> None:
    explained = kb.explain("rapid-antidepressant-effect")
    nets = [chain["net"] for chain in explained["chains"]]
    assert "raises" in nets
    assert "lowers" not in nets, [
        [step["id"] for step in path] for path, chain in zip(explained["paths"],
                                                             explained["chains"], strict=True)
        if chain["net"] == "lowers"]


# -- the README tour -------------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    "ketakb figures ketamine --measure binding",  # the target table
    "ketakb figures ketamine --measure bioavailability",  # kinetics by route
    "ketakb figures esketamine --measure incidence --target dissociative-effect",  # safety
    "ketakb timeline"])
def test_the_readme_tour_shows_the_answers_from_the_real_kb(command: str) -> None:
    """The tour shows these from the bundled KB; tests/test_readme.py holds each block's
    output to what the command prints today."""
    assert f"\n$ {command}\n" in README.read_text(encoding="utf-8")
