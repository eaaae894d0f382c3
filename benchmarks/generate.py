"""Deterministic synthetic knowledge bases for the benchmarks.

    python benchmarks/generate.py 10000 --out /tmp/ketakb-bench/n10000
    python benchmarks/generate.py 10000 --out /tmp/ketakb-bench/n10000-errors --errors 300

writes OUT/kb (the kind folders) and OUT/archives (plain-text snapshots of the web sources, for
`--sources-dir`). The same N and seed always give byte-identical files. A plain KB is clean
under `ketakb validate --strict --sources-dir OUT/archives`: every kind, claims with evidence
from peer-reviewed, regulatory and web sources, references that resolve, statuses the evidence
justifies (a share contested, refuted or outdated, with the disputing sources), tolerated
opposite predicates, every source cited and every entity involved in a claim. The KB always
holds `ketamine`, `nmda-receptor`, `bdnf-signalling` and `rapid-antidepressant-effect`, linked
in a chain, so `show`, `search` and `explain` have targets.

`--errors K` plants about K errors spread over every rule code a set of files can express
(KB001-KB011, KB020-KB022, KB030-KB040; KB050/KB051 are planted too, but the validator does
not report them while other files are broken), to time the failure path.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
from collections.abc import Callable
from copy import deepcopy
from pathlib import Path
from typing import Any

import yaml

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

FOLDER = {"source": "sources", "agent": "agents", "receptor": "receptors",
          "pathway": "pathways", "effect": "effects", "condition": "conditions"}
SHARE = {"source": 0.25, "agent": 0.10, "receptor": 0.17, "pathway": 0.18, "effect": 0.15,
         "condition": 0.15}

RECEPTOR_STEMS = [
    ("NMDA receptor GluN2B subunit", ["GRIN1", "GRIN2B"]), ("AMPA receptor", ["GRIA1", "GRIA2"]),
    ("GABA-A receptor", ["GABRA1"]), ("mu-opioid receptor", ["OPRM1"]),
    ("kappa-opioid receptor", ["OPRK1"]), ("sigma-1 receptor", ["SIGMAR1"]),
    ("dopamine D2 receptor", ["DRD2"]), ("serotonin 5-HT2A receptor", ["HTR2A"]),
    ("HCN1 channel", ["HCN1"]), ("alpha7 nicotinic receptor", ["CHRNA7"]),
    ("metabotropic glutamate receptor 2", ["GRM2"]), ("serotonin transporter", ["SLC6A4"]),
    ("norepinephrine transporter", ["SLC6A2"]), ("CYP3A4 enzyme", ["CYP3A4"]),
    ("CYP2B6 enzyme", ["CYP2B6"]), ("TrkB receptor", ["NTRK2"]),
]
PATHWAY_STEMS = [
    ("BDNF release", ["BDNF"]), ("mTORC1 signalling", ["MTOR", "RPTOR"]),
    ("eEF2 kinase signalling", ["EEF2K"]), ("GSK-3 inhibition", ["GSK3B"]),
    ("synaptogenesis", ["PSD95"]), ("glutamate surge", ["SLC1A2"]),
    ("AMPA receptor trafficking", ["GRIA1"]), ("lateral habenula bursting", ["KCNJ10"]),
    ("ERK signalling", ["MAPK1"]), ("homeostatic synaptic scaling", ["CAMK2A"]),
]
EFFECT_STEMS = [
    ("rapid antidepressant response", "therapeutic"), ("anti-suicidal effect", "therapeutic"),
    ("analgesia", "therapeutic"), ("anti-anhedonic effect", "therapeutic"),
    ("dissociation", "adverse"), ("blood pressure rise", "adverse"),
    ("bladder toxicity", "adverse"), ("psychotomimetic symptoms", "adverse"),
    ("gamma oscillation increase", "physiological"), ("spine density increase", "physiological"),
]
CONDITION_STEMS = [
    "treatment-resistant depression", "major depressive disorder", "bipolar depression",
    "suicidal ideation", "post-traumatic stress disorder", "chronic pain",
    "obsessive-compulsive disorder", "alcohol use disorder", "anhedonia", "status epilepticus",
]
AGENT_STEMS = [
    ("arketamine analogue", "arylcyclohexylamine"), ("hydroxynorketamine", "metabolite"),
    ("norketamine analogue", "metabolite"), ("memantine analogue", "adamantane"),
    ("lanicemine analogue", "NMDA channel blocker"), ("rapastinel analogue", "peptide"),
    ("esmethadone analogue", "opioid"), ("dextromethorphan analogue", "morphinan"),
    ("zuranolone analogue", "neurosteroid"), ("psilocybin analogue", "tryptamine"),
]
JOURNALS = ["Biological Psychiatry", "American Journal of Psychiatry", "Nature",
            "Molecular Psychiatry", "Neuropsychopharmacology", "JAMA Psychiatry",
            "Lancet Psychiatry", "Neuron", "Journal of Affective Disorders"]
PUBLISHERS = ["Example Ketamine Clinic", "Mind Health Blog", "Infusion Centre Online",
              "Wellness Daily", "Health Guide"]
LOCATORS = ["abstract", "results", "discussion", "table 2", "figure 3", "introduction"]
STATUS_WEIGHTS = {"established": 20, "supported": 35, "hypothesis": 10, "contested": 10,
                  "unsupported": 10, "refuted": 10, "outdated": 5}
PEER_TYPES = ("journal-article", "review", "clinical-trial")
#: Designs of the peer-reviewed sources, all on people: claims about animals (a share have a
#: rodent context) cite them only where indirect evidence is allowed.
PEER_DESIGNS = ("observational-study", "narrative-review", "randomised-controlled-trial",
                "meta-analysis", "systematic-review", "randomised-controlled-trial")
#: Statuses whose evidence must be direct for the claim's system (human, for these sources),
#: or, for refuted, outweigh the support.
DIRECT_STATUSES = ("established", "supported", "contested", "refuted")

DRUG_TARGET = ("channel_blocker_of", "antagonist_of", "inhibitor_of", "modulator_of",
               "binds", "partial_agonist_of")
PHRASE = {
    "channel_blocker_of": "blocks the open channel of", "antagonist_of": "antagonises",
    "inhibitor_of": "inhibits", "modulator_of": "allosterically modulates", "binds": "binds",
    "partial_agonist_of": "partially activates", "agonist_of": "activates",
    "treats": "relieves", "causes": "causes", "activates": "switches on",
    "inhibits": "dampens", "leads_to": "leads to", "increases": "increases",
    "decreases": "reduces", "instance_of": "is a form of", "required_for": "is required for",
    "used_for": "is used for", "metabolite_of": "is formed from",
}


def slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(p for p in out.split("-") if p)


class Builder:
    """Builds the records of one KB in memory; `write` puts them on disk."""

    def __init__(self, n: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.records: dict[str, dict[str, Any]] = {}
        self.kind: dict[str, str] = {}
        self.by_kind: dict[str, list[str]] = {k: [] for k in FOLDER}
        self.pairs: set[tuple[str, str]] = set()
        self.quotes: dict[str, list[str]] = {}
        self.cursor: dict[str, int] = {}
        self.claim_count = 0
        self._make_records(n)

    # -- records ---------------------------------------------------------------------------

    def add(self, kind: str, record: dict[str, Any]) -> None:
        self.records[record["id"]] = record
        self.kind[record["id"]] = kind
        self.by_kind[kind].append(record["id"])

    def _make_records(self, n: int) -> None:
        self._anchors()
        counts = {k: max(3, round(n * share)) for k, share in SHARE.items()}
        counts["pathway"] += n - sum(counts.values()) - 0  # absorb rounding
        have = {k: len(v) for k, v in self.by_kind.items()}
        for kind, count in counts.items():
            for i in range(max(0, count - have[kind])):
                self.add(kind, getattr(self, f"_{kind}")(i))
        total = len(self.records)
        while total > n and len(self.by_kind["pathway"]) > 3:  # tiny N: trim
            ident = self.by_kind["pathway"].pop()
            del self.records[ident], self.kind[ident]
            total -= 1
        self.peer = [s for s in self.by_kind["source"]
                     if self.records[s]["type"] in PEER_TYPES]
        self.web = [s for s in self.by_kind["source"]
                    if self.records[s]["type"] in ("web-page", "news", "book")]
        self.regulators = [s for s in self.by_kind["source"]
                           if self.records[s]["type"] == "regulatory-notice"]
        for ident in list(self.records):
            self._claims_of(ident)
        self._cite_leftovers()

    def _anchors(self) -> None:
        self.add("agent", {
            "id": "ketamine", "name": "Ketamine", "synonyms": ["Ketalar", "CI-581"],
            "summary": "A dissociative anaesthetic that blocks the NMDA receptor channel.",
            "class": "arylcyclohexylamine",
            "xrefs": {"chebi": "6121", "pubchem.compound": "3821", "drugbank": "DB01221"}})
        self.add("receptor", {
            "id": "nmda-receptor", "name": "NMDA receptor",
            "synonyms": ["NMDAR", "N-methyl-D-aspartate receptor"],
            "summary": "A glutamate-gated ion channel central to synaptic plasticity.",
            "genes": ["GRIN1", "GRIN2A", "GRIN2B"]})
        self.add("pathway", {
            "id": "bdnf-signalling", "name": "BDNF signalling", "synonyms": ["BDNF release"],
            "summary": "Release of brain-derived neurotrophic factor and TrkB activation.",
            "genes": ["BDNF", "NTRK2"]})
        self.add("effect", {
            "id": "rapid-antidepressant-effect", "name": "Rapid antidepressant effect",
            "summary": "Relief of depressive symptoms within hours of a dose.",
            "type": "therapeutic"})
        self.add("condition", {
            "id": "major-depressive-disorder", "name": "Major depressive disorder",
            "synonyms": ["MDD"], "summary": "A mood disorder of persistent low mood.",
            "xrefs": {"mesh": "D003865", "doid": "1470"}})
        self.add("source", {
            "id": "berman-2000", "title": "Antidepressant effects of ketamine in depressed "
            "patients", "type": "clinical-trial", "design": "randomised-controlled-trial",
            "species": ["human"], "n": 9, "authors": ["Berman RM", "Krystal JH"],
            "journal": "Biological Psychiatry", "date": "2000-02-15", "volume": "47",
            "issue": "4", "pages": "351-354", "doi": "10.1016/S0006-3223(99)00230-9",
            "pmid": "10686270"})
        self.add("source", {
            "id": "spravato-label-2019", "title": "Spravato prescribing information",
            "type": "regulatory-notice", "design": "prescribing-information",
            "publisher": "US Food and Drug Administration", "date": "2019-03-05"})
        self.add("source", {
            "id": "clinic-how-ketamine-works", "title": "How ketamine works",
            "type": "web-page", "design": "web-page", "publisher": "Example Ketamine Clinic",
            "date": "2021-06-01",
            "url": "https://clinic.example/how-ketamine-works",
            "archive": "clinic-how-ketamine-works.txt"})

    def _source(self, i: int) -> dict[str, Any]:
        rng = self.rng
        roll = rng.random()
        year = rng.randint(1995, 2024)
        date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        topic = rng.choice(["ketamine", "esketamine", "NMDA antagonists", "BDNF", "mTORC1",
                            "glutamate", "depression", "suicidality", "dissociation"])
        if roll < 0.62:
            kind = PEER_TYPES[i % 3]
            author = rng.choice(["Zarate", "Duman", "Monteggia", "Krystal", "Murrough",
                                 "Sanacora", "Abdallah", "Kavalali", "Autry", "Li"])
            record: dict[str, Any] = {
                "id": f"{slug(author)}-{year}-{i}", "title": f"Effects of {topic} on mood "
                f"and synaptic function: study {i}", "type": kind, "design": PEER_DESIGNS[i % 6],
                "species": ["human"],
                "authors": [f"{author} CA", f"{rng.choice(['Smith', 'Chen', 'Kim'])} J"],
                "journal": rng.choice(JOURNALS), "date": date, "volume": str(rng.randint(1, 90)),
                "issue": str(rng.randint(1, 12)), "pages": f"{i % 900 + 1}-{i % 900 + 9}",
                "doi": f"10.{1000 + i % 9000}/bench.{year}.{i}"}
            if i % 3 == 0:
                record["pmid"] = str(10_000_000 + i)
            if i % 7 == 0:
                record["n"] = rng.randint(10, 500)
                record["standing"] = {"status": "current", "date": "2024-06-01"}
            return record
        if roll < 0.70:
            return {"id": f"regulator-notice-{year}-{i}", "title": f"Safety notice on {topic}",
                    "type": "regulatory-notice", "design": "regulatory-decision",
                    "publisher": rng.choice(["US Food and Drug Administration",
                                             "European Medicines Agency"]), "date": date}
        kind = rng.choice(["web-page", "web-page", "news", "book"])
        ident = f"{slug(rng.choice(PUBLISHERS))}-post-{i}"
        record = {"id": ident, "title": f"What {topic} does to the brain ({i})", "type": kind,
                  "design": "opinion" if kind == "book" else "web-page",
                  "publisher": rng.choice(PUBLISHERS), "date": date}
        if kind != "book":
            record["url"] = f"https://{slug(record['publisher'])}.example/posts/{i}"
            record["archive"] = f"{ident}.txt"
        return record

    def _entity(self, stem: str, i: int, summary: str) -> dict[str, Any]:
        return {"id": f"{slug(stem)}-{i}", "name": f"{stem} {i}",
                "synonyms": [f"{stem.split()[0]}-{i}"], "summary": summary}

    def _agent(self, i: int) -> dict[str, Any]:
        stem, cls = AGENT_STEMS[i % len(AGENT_STEMS)]
        record = self._entity(stem, i, f"A {cls} compound studied beside ketamine.")
        record["class"] = cls
        if i % 4 == 0:
            record["xrefs"] = {"chebi": str(100_000 + i), "wikidata": f"Q{500_000 + i}"}
        return record

    def _receptor(self, i: int) -> dict[str, Any]:
        stem, genes = RECEPTOR_STEMS[i % len(RECEPTOR_STEMS)]
        record = self._entity(stem, i, f"A molecular target: {stem}, variant {i}.")
        record["genes"] = genes
        if i % 5 == 0:
            record["xrefs"] = {"hgnc": str(1000 + i % 90_000)}
        return record

    def _pathway(self, i: int) -> dict[str, Any]:
        stem, genes = PATHWAY_STEMS[i % len(PATHWAY_STEMS)]
        record = self._entity(stem, i, f"A signalling step: {stem} in cortical neurons.")
        record["genes"] = genes
        return record

    def _effect(self, i: int) -> dict[str, Any]:
        stem, kind = EFFECT_STEMS[i % len(EFFECT_STEMS)]
        record = self._entity(stem, i, f"An {kind} effect: {stem} after dosing.")
        record["type"] = kind
        return record

    def _condition(self, i: int) -> dict[str, Any]:
        stem = CONDITION_STEMS[i % len(CONDITION_STEMS)]
        record = self._entity(stem, i, f"A disorder: {stem}, as seen in clinic {i}.")
        if i % 3 == 0:
            record["xrefs"] = {"mesh": f"D{i % 1_000_000:06d}"}
        return record

    # -- claims ----------------------------------------------------------------------------

    def _next(self, pool: list[str]) -> str:
        """Sources in rotation, so that every source ends up cited."""
        key = str(id(pool))
        n = self.cursor.get(key, 0)
        self.cursor[key] = n + 1
        return pool[n % len(pool)]

    def _pick(self, kind: str, host: str) -> str | None:
        pool = self.by_kind[kind]
        for _ in range(8):
            other = self.rng.choice(pool)
            if other != host and (host, other) not in self.pairs \
                    and (other, host) not in self.pairs:
                return other
        return None

    def _evidence(self, source: str, stance: str, statement: str) -> dict[str, Any]:
        item: dict[str, Any] = {"source": source, "stance": stance}
        record = self.records[source]
        if record.get("archive"):
            words = statement.rstrip(".").split()
            quote = "In short, " + " ".join(words[: min(len(words), 24)]) + "."
            item["quote"] = quote
            self.quotes.setdefault(source, []).append(quote)
        elif record["type"] in PEER_TYPES and self.rng.random() < 0.3:
            item["quote"] = f"We found that {statement[0].lower()}{statement[1:]}"
            item["locator"] = self.rng.choice(LOCATORS)
        return item

    def _claim(self, host: str, subject: str, predicate: str, obj: str,
               status: str | None = None, supersedes: dict[str, Any] | None = None) -> None:
        rng = self.rng
        if status is None:
            status = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0]
        s_name = self.records[subject].get("name", subject)
        o_name = self.records[obj].get("name", obj)
        statement = f"{s_name} {PHRASE[predicate]} {o_name}."
        statement = statement[0].upper() + statement[1:]
        peer, web, reg = self.peer, self.web, self.regulators
        plan: list[tuple[list[str], str]] = []
        if status in ("established", "supported"):
            plan = [(peer, "supports")] + ([(web, "supports")] if rng.random() < 0.4 else [])
            if status == "established":
                plan.append((peer, "supports"))
        elif status == "hypothesis":
            plan = [(web if rng.random() < 0.5 else peer, "supports")]
        elif status == "contested":
            plan = [(peer, "supports"), (peer, "disputes"), (web, "supports")]
        elif status == "unsupported":
            plan = [(web, "supports")] + ([(reg, "qualifies")] if rng.random() < 0.3 else [])
        elif status == "refuted":
            plan = [(web, "supports"), (peer, "disputes")]
        else:  # outdated
            plan = [(peer, "supports"), (reg, "disputes")]
        evidence: list[dict[str, Any]] = []
        used: set[str] = set()
        for pool, stance in plan:
            source = self._next(pool)
            if source in used:
                continue
            used.add(source)
            evidence.append(self._evidence(source, stance, statement))
        self.claim_count += 1
        claim: dict[str, Any] = {
            "id": f"{host[:30].rstrip('-')}-{predicate.replace('_', '-')}-c{self.claim_count}",
            "subject": subject, "predicate": predicate, "object": obj,
            "statement": statement, "status": status}
        if rng.random() < 0.25:
            species = rng.choice(["human", "mouse", "rat"])
            claim["context"] = {"species": "human" if status in DIRECT_STATUSES else species,
                                "route": rng.choice(["intravenous", "intranasal", "oral"]),
                                "dose": f"{rng.choice([0.1, 0.5, 1, 10])} mg/kg"}
        if supersedes is not None:  # the successor: the same statement, checked later
            claim["context"] = {**supersedes.get("context", {}), "as_of": "2024-06-01"}
            if "species" in claim["context"]:
                claim["context"]["species"] = "human"
            claim["supersedes"] = supersedes["id"]
            supersedes["successor"] = claim["id"]
        if status in ("hypothesis", "unsupported"):
            claim["searches"] = [{"date": "2024-06-01", "database": "PubMed",
                                  "query": f"{s_name} {o_name}",
                                  "found": "No peer-reviewed study of this."}]
        if rng.random() < 0.15 and evidence[0]["source"] in peer:
            claim["figures"] = [{"measure": "response_rate", "value": rng.randint(20, 80),
                                 "unit": "%", "population": "treatment-resistant "
                                 "depression", "n": rng.randint(10, 500),
                                 "source": evidence[0]["source"]}]
        claim["evidence"] = evidence
        self.records[host].setdefault("claims", []).append(claim)
        self.pairs.add((subject, obj))
        if status == "outdated":
            self._claim(host, subject, predicate, obj, "supported", claim)

    def _claims_of(self, ident: str) -> None:
        kind = self.kind[ident]
        rng = self.rng
        if ident == "ketamine":
            self._claim(ident, ident, "channel_blocker_of", "nmda-receptor", "established")
            self._claim(ident, ident, "agonist_of", "nmda-receptor", "refuted")
            self._claim(ident, ident, "treats", "major-depressive-disorder", "supported")
        elif ident == "nmda-receptor":
            self._claim(ident, ident, "inhibits", "bdnf-signalling", "supported")
        elif ident == "bdnf-signalling":
            self._claim(ident, ident, "leads_to", "rapid-antidepressant-effect", "supported")
        if kind == "agent":
            for _ in range(2):
                target = self._pick("receptor", ident)
                if target:
                    predicate = rng.choice(DRUG_TARGET)
                    self._claim(ident, ident, predicate, target)
                    if predicate in ("channel_blocker_of", "antagonist_of") \
                            and rng.random() < 0.2:  # a tolerated opposite
                        self._claim(ident, ident, "agonist_of", target,
                                    rng.choice(["refuted", "contested"]))
            for target_kind, predicate in (("condition", "treats"), ("effect", "causes")):
                target = self._pick(target_kind, ident)
                if target:
                    self._claim(ident, ident, predicate, target)
        elif kind == "receptor":
            for target_kind, predicate in (("pathway", rng.choice(["activates", "inhibits"])),
                                           ("effect", "leads_to")):
                target = self._pick(target_kind, ident)
                if target:
                    self._claim(ident, ident, predicate, target)
        elif kind == "pathway":
            for target_kind, predicate in (("effect", "leads_to"),
                                           ("pathway", rng.choice(["increases", "decreases"]))):
                target = self._pick(target_kind, ident)
                if target:
                    self._claim(ident, ident, predicate, target)
        elif kind == "effect":
            target = self._pick("condition", ident)
            if target:
                self._claim(ident, ident, rng.choice(["treats", "decreases"]), target)
        elif kind == "condition":
            target = self._pick("agent", ident)  # hosted by its object: agent treats it
            if target:
                self._claim(ident, target, "used_for", ident)
            other = self._pick("condition", ident)
            if other:
                self._claim(ident, ident, "instance_of", other, "supported")
        if not self.records[ident].get("claims") and kind != "source":
            raise SystemExit(f"generator bug: {ident} has no claim")

    def _cite_leftovers(self) -> None:
        """Sources the rotation did not reach: cite each as qualifying evidence somewhere."""
        cited = {e["source"] for r in self.records.values() for c in r.get("claims", ())
                 for e in c["evidence"]}
        claims = [c for r in self.records.values() for c in r.get("claims", ())]
        for n, source in enumerate(s for s in self.by_kind["source"] if s not in cited):
            claim = claims[n % len(claims)]
            claim["evidence"].append(self._evidence(source, "qualifies", claim["statement"]))

    # -- output ----------------------------------------------------------------------------

    def texts(self) -> dict[str, bytes]:
        """Relative path -> file bytes, for every record."""
        return {f"{FOLDER[self.kind[i]]}/{i}.yaml": dump(r) for i, r in self.records.items()}

    def archives(self) -> dict[str, str]:
        out = {}
        for source, quotes in self.quotes.items():
            title = self.records[source].get("title", source)
            out[self.records[source]["archive"]] = f"{title}\n\n" + "\n\n".join(quotes) + "\n"
        for ident, record in self.records.items():
            if record.get("archive") and record["archive"] not in out:
                out[record["archive"]] = record.get("title", ident) + "\n"
        return out


def dump(record: dict[str, Any]) -> bytes:
    text: str = yaml.dump(record, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                          width=100, default_flow_style=False)
    return text.encode("utf-8")


# -- planted errors ------------------------------------------------------------------------

Mutation = Callable[["Planter", str], None]


class Planter:
    """Plants errors of every rule code into a built KB, one per chosen file."""

    def __init__(self, builder: Builder, files: dict[str, bytes], seed: int) -> None:
        self.b = builder
        self.files = files
        self.rng = random.Random(seed + 1)
        self.extra: list[tuple[str, str]] = []  # (kind of extra, relative path)
        self.path_of = {i: f"{FOLDER[k]}/{i}.yaml" for i, k in builder.kind.items()}

    def text(self, ident: str, append: str) -> None:
        path = self.path_of[ident]
        self.files[path] = self.files[path] + append.encode()

    def redump(self, ident: str) -> None:
        self.files[self.path_of[ident]] = dump(self.b.records[ident])

    def claim_of(self, ident: str) -> dict[str, Any] | None:
        claims = self.b.records[ident].get("claims")
        return claims[0] if claims else None


def _kb001(p: Planter, i: str) -> None:
    path = p.path_of[i]
    p.files[path] = p.files[path] + b"notes: caf\xe9 latte\n"


def _kb002(p: Planter, i: str) -> None:
    p.text(i, "notes: [unclosed\n")


def _kb003(p: Planter, i: str) -> None:
    p.text(i, "---\nid: second-document\n")


def _kb004(p: Planter, i: str) -> None:
    p.files[p.path_of[i]] = b"- just\n- a list\n"


def _kb005(p: Planter, i: str) -> None:
    p.text(i, "id: " + i + "\n")


def _kb006(p: Planter, i: str) -> None:
    p.text(i, "notes: &shared reused text\n")


def _kb007(p: Planter, i: str) -> None:
    p.text(i, "notes: !!str tagged\n")


def _kb008(p: Planter, i: str) -> None:
    p.text(i, "notes: " + "[" * 40 + "x" + "]" * 40 + "\n")


def _kb009(p: Planter, i: str) -> None:
    p.text(i, "notes: " + "a" * (1 << 20) + "\n")


def _kb020(p: Planter, i: str) -> None:
    claim = p.claim_of(i)
    if claim is not None:
        claim["status"] = "certain"
    else:
        p.b.records[i]["synonyms"] = [12]
    p.redump(i)


def _kb021(p: Planter, i: str) -> None:
    p.b.records[i]["sumary"] = "a typo of summary"
    p.redump(i)


def _kb022(p: Planter, i: str) -> None:
    p.b.records[i].pop("name", None) if "name" in p.b.records[i] else p.b.records[i].pop("title")
    p.redump(i)


def _kb030(p: Planter, i: str) -> None:
    p.b.records[i]["id"] = i + "-renamed"
    p.redump(i)


def _kb031(p: Planter, i: str) -> None:
    claim = p.claim_of(i)
    other = p.rng.choice(p.b.by_kind["agent"])
    if claim is not None and other != i:
        claim["id"] = p.b.records[other]["claims"][0]["id"]
        p.redump(i)


def _kb032(p: Planter, i: str) -> None:
    claim = p.claim_of(i)
    if claim is not None:
        claim["evidence"][0]["source"] = "no-such-source-" + i[:30]
        p.redump(i)


def _kb033(p: Planter, i: str) -> None:
    claim = p.claim_of(i)
    if claim is not None:
        claim["evidence"][0]["source"] = "ketamine"
        p.redump(i)


def _kb034(p: Planter, i: str) -> None:
    claim = p.claim_of(i)
    if claim is not None:
        claim["subject"], claim["object"] = "ketamine", "nmda-receptor"
        claim["predicate"] = "binds"
        p.redump(i)


def _kb035(p: Planter, i: str) -> None:
    claim = p.claim_of(i)
    if claim is not None:
        claim["evidence"] = [e for e in claim["evidence"] if e["stance"] != "supports"] or \
            claim["evidence"]
        claim["status"] = "contested" if claim["status"] != "contested" else "unsupported"
        for e in claim["evidence"]:
            e["stance"] = "qualifies"
        p.redump(i)


def _kb036(p: Planter, i: str) -> None:
    claim = p.claim_of(i)
    if claim is not None:
        copy = dict(deepcopy(claim), id=claim["id"] + "-again")
        p.b.records[i]["claims"].append(copy)
        p.redump(i)


def _kb037(p: Planter, i: str) -> None:
    opposite = {"increases": "decreases", "decreases": "increases", "activates": "inhibits",
                "inhibits": "activates", "channel_blocker_of": "agonist_of",
                "antagonist_of": "agonist_of", "inhibitor_of": "agonist_of"}
    claim = next((c for c in p.b.records[i].get("claims", ()) if c["predicate"] in opposite),
                 None)
    if claim is not None:
        copy = dict(deepcopy(claim), id=claim["id"] + "-opposite", status="supported",
                    predicate=opposite[claim["predicate"]],
                    evidence=[{"source": p.b.peer[0], "stance": "supports"}])
        claim["status"] = "supported"
        claim["evidence"] = [{"source": p.b.peer[1], "stance": "supports"}]
        p.b.records[i]["claims"].append(copy)
        p.redump(i)


def _archived_evidence(p: Planter, i: str) -> dict[str, Any] | None:
    for claim in p.b.records[i].get("claims", ()):
        for e in claim["evidence"]:
            if p.b.records.get(e["source"], {}).get("archive"):
                return e  # type: ignore[no-any-return]
    return None


def _kb038(p: Planter, i: str) -> None:
    e = _archived_evidence(p, i)
    if e is not None:
        e["quote"] = "Words the source never wrote about ketamine."
        p.redump(i)


def _kb039(p: Planter, i: str) -> None:
    if p.b.records[i].get("archive"):
        p.b.records[i]["archive"] = "missing-" + p.b.records[i]["archive"]
        p.redump(i)


def _kb040(p: Planter, i: str) -> None:
    e = _archived_evidence(p, i)
    if e is not None:
        e.pop("quote", None)
        p.redump(i)


def _kb050(p: Planter, i: str) -> None:
    p.extra.append(("uncited", f"sources/uncited-source-{i[:40]}.yaml"))
    p.files[p.extra[-1][1]] = dump({"id": f"uncited-source-{i[:40]}", "title": "Never cited",
                                    "type": "web-page", "design": "web-page"})


def _kb051(p: Planter, i: str) -> None:
    p.files[f"conditions/orphan-{i[:40]}.yaml"] = dump({
        "id": f"orphan-{i[:40]}", "name": "An orphan", "summary": "Nothing links to it."})


MUTATIONS: dict[str, tuple[str, Mutation]] = {
    # code -> (kind of file to mutate, mutation)
    "KB001": ("any", _kb001), "KB002": ("any", _kb002), "KB003": ("any", _kb003),
    "KB004": ("any", _kb004), "KB005": ("any", _kb005), "KB006": ("any", _kb006),
    "KB007": ("any", _kb007), "KB008": ("any", _kb008), "KB009": ("any", _kb009),
    "KB020": ("entity", _kb020), "KB021": ("any", _kb021), "KB022": ("any", _kb022),
    "KB030": ("any", _kb030), "KB031": ("entity", _kb031), "KB032": ("entity", _kb032),
    "KB033": ("entity", _kb033), "KB034": ("pathway", _kb034), "KB035": ("entity", _kb035),
    "KB036": ("entity", _kb036), "KB037": ("entity", _kb037), "KB038": ("entity", _kb038),
    "KB039": ("source", _kb039), "KB040": ("entity", _kb040), "KB050": ("any", _kb050),
    "KB051": ("any", _kb051),
}
ANCHORS = {"ketamine", "nmda-receptor", "bdnf-signalling", "rapid-antidepressant-effect",
           "major-depressive-disorder", "berman-2000", "spravato-label-2019",
           "clinic-how-ketamine-works"}


def plant(builder: Builder, files: dict[str, bytes], count: int, seed: int) -> dict[str, int]:
    planter = Planter(builder, files, seed)
    per_code = max(1, count // (len(MUTATIONS) + 2))
    candidates = [i for i in builder.records if i not in ANCHORS]
    planter.rng.shuffle(candidates)
    taken: set[str] = set()
    planted: dict[str, int] = {}
    for code, (want, mutation) in MUTATIONS.items():
        n = min(per_code, 3) if code == "KB009" else per_code  # 1 MiB files: a few
        for ident in candidates:
            if n == 0:
                break
            kind = builder.kind[ident]
            if ident in taken or not (want == "any" or want == kind or
                                      (want == "entity" and kind != "source")):
                continue
            before = dict(files)
            mutation(planter, ident)
            if files != before:
                taken.add(ident)
                planted[code] = planted.get(code, 0) + 1
                n -= 1
    return planted


def write(out: Path, files: dict[str, bytes], archives: dict[str, str],
          strays: bool = False) -> None:
    kb, archive_dir = out / "kb", out / "archives"
    if out.exists():
        shutil.rmtree(out)
    for folder in FOLDER.values():
        (kb / folder).mkdir(parents=True)
    archive_dir.mkdir()
    for relative, raw in files.items():
        (kb / relative).write_bytes(raw)
    for name, text in archives.items():
        (archive_dir / name).write_text(text, encoding="utf-8")
    if strays:  # KB010 and KB011: files that are not records, a link out of the KB
        (kb / "agents" / "README.txt").write_text("not a record\n")
        (kb / "drafts").mkdir()
        (kb / "loose-record.yaml").write_text("id: loose-record\n")
        outside = out / "outside.yaml"
        outside.write_text("id: outside\n")
        os.symlink(outside, kb / "agents" / "outside.yaml")


def generate(n: int, out: Path, *, seed: int = 20240, errors: int = 0) -> dict[str, Any]:
    """Write a KB of about `n` records (exactly n when n >= 40) to out/kb, archives beside."""
    builder = Builder(n, seed)
    files = builder.texts()
    archives = builder.archives()
    planted: dict[str, int] = {}
    if errors:
        planted = plant(builder, files, errors, seed)
    write(out, files, archives, strays=bool(errors))
    if errors:
        planted.update({"KB010": 3, "KB011": 1})
    claims = sum(len(r.get("claims", ())) for r in builder.records.values())
    return {"records": len(files), "claims": claims, "planted": planted}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of records")
    parser.add_argument("--out", type=Path, required=True, help="output folder (replaced)")
    parser.add_argument("--seed", type=int, default=20240)
    parser.add_argument("--errors", type=int, default=0, metavar="K",
                        help="plant about K errors over every rule code")
    args = parser.parse_args(argv)
    if "/tmp" not in str(args.out.resolve()) and not os.environ.get("KETAKB_BENCH_ANYWHERE"):
        print("refusing to write outside /tmp (set KETAKB_BENCH_ANYWHERE=1 to insist)",
              file=sys.stderr)
        return 2
    info = generate(args.n, args.out, seed=args.seed, errors=args.errors)
    print(f"wrote {info['records']} records, {info['claims']} claims to {args.out / 'kb'}"
          + (f"; planted {sum(info['planted'].values())} errors" if args.errors else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
