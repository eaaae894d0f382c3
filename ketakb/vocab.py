"""The controlled vocabulary of the record format: kinds, predicates, statuses, stances,
source types and identifier patterns.

Plain data with no third-party imports, so that the query path can use it without paying
for pydantic. The models, the checks, the renderers and the docs all read from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from typing import Any

#: The kinds a claim links, in the order of a mechanism: the drug, its targets, the pathways
#: they drive, the effects, the conditions treated. The one definition of the kinds' order.
ENTITY_KINDS = ("agent", "receptor", "pathway", "effect", "condition")
#: Kinds in the order listings show them (`list`, `stats`, `graph`, the site): the
#: mechanism's order, then the sources.
KIND_ORDER = (*ENTITY_KINDS, "source")
#: Kind → its folder, sources first: the order messages name the folders in, and the order of
#: the exports' files and rows (the records that the claims cite come first).
FOLDER_OF_KIND: dict[str, str] = {kind: f"{kind}s" for kind in ("source", *ENTITY_KINDS)}
#: Folder name → singular kind name. The folder is the kind of every record inside it.
KINDS: dict[str, str] = {folder: kind for kind, folder in FOLDER_OF_KIND.items()}

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
ID_MAX_LENGTH = 64
ID_RE = re.compile(ID_PATTERN)

#: What a predicate asserts about the direction of an effect along a mechanism chain (see
#: `ketakb.query.chains.direction`): the object goes up or down with the subject, the two are
#: linked by structure (a part, a member, a metabolite) rather than by a cause, or the
#: predicate states no direction.
RAISES = "raises"
LOWERS = "lowers"
STRUCTURAL = "structural"
UNDIRECTED = "undirected"

_MOLECULAR = ("receptor", "pathway")
_BIOLOGICAL = ("agent", "receptor", "pathway", "effect")


@dataclass(frozen=True)
class Predicate:
    """One relation of the claim vocabulary: which kinds it links, what contradicts it, and
    what it says of the direction of an effect."""

    name: str
    group: str
    subjects: tuple[str, ...]
    objects: tuple[str, ...]
    description: str
    opposites: tuple[str, ...] = ()
    _: KW_ONLY
    #: RAISES, LOWERS, STRUCTURAL or UNDIRECTED
    effect: str


_PREDICATE_LIST = (
    # drug–target
    Predicate("antagonist_of", "drug-target", ("agent",), _MOLECULAR,
              "binds the target and prevents its activation",
              ("agonist_of",),
              effect=LOWERS),
    Predicate("channel_blocker_of", "drug-target", ("agent",), ("receptor",),
              "occludes the open ion channel of the target (use-dependent block)",
              ("agonist_of",),
              effect=LOWERS),
    Predicate("agonist_of", "drug-target", ("agent",), ("receptor",),
              "binds the target and activates it",
              ("antagonist_of", "channel_blocker_of", "competitive_antagonist_of",
               "inhibitor_of"),
              effect=RAISES),
    Predicate("competitive_antagonist_of", "drug-target", ("agent",), ("receptor",),
              "occupies the agonist (orthosteric) site and so prevents the agonist from binding",
              ("agonist_of",),
              effect=LOWERS),
    Predicate("partial_agonist_of", "drug-target", ("agent",), ("receptor",),
              "binds the target and activates it submaximally",
              effect=RAISES),
    Predicate("inhibitor_of", "drug-target", ("agent",), _MOLECULAR,
              "reduces the activity of the target (enzyme, transporter, receptor)",
              ("agonist_of",),
              effect=LOWERS),
    Predicate("modulator_of", "drug-target", ("agent",), _MOLECULAR,
              "changes the target's activity through another site (allosteric)",
              effect=UNDIRECTED),
    Predicate("binds", "drug-target", ("agent",), ("receptor",),
              "binds the target, with no functional consequence asserted",
              effect=UNDIRECTED),
    # causal
    Predicate("activates", "causal", _BIOLOGICAL, _BIOLOGICAL,
              "switches on or raises the activity of the object",
              ("inhibits",),
              effect=RAISES),
    Predicate("inhibits", "causal", _BIOLOGICAL, _BIOLOGICAL,
              "switches off or lowers the activity of the object",
              ("activates",),
              effect=LOWERS),
    Predicate("increases", "causal", _BIOLOGICAL, (*_BIOLOGICAL, "condition"),
              "raises the amount, rate or strength of the object",
              ("decreases",),
              effect=RAISES),
    Predicate("decreases", "causal", _BIOLOGICAL, (*_BIOLOGICAL, "condition"),
              "lowers the amount, rate or strength of the object",
              ("increases",),
              effect=LOWERS),
    Predicate("leads_to", "causal", _BIOLOGICAL, ("pathway", "effect", "condition"),
              "is an upstream step of the object in a mechanism chain",
              effect=RAISES),
    Predicate("required_for", "causal", _BIOLOGICAL, ("pathway", "effect"),
              "the object does not happen without the subject",
              effect=RAISES),
    Predicate("part_of", "causal", ("receptor", "pathway", "effect"),
              ("receptor", "pathway", "effect"),
              "is a component of the object (a subunit of a receptor, a step of a pathway)",
              effect=STRUCTURAL),
    # clinical
    Predicate("treats", "clinical", ("agent", "effect"), ("condition",),
              "reduces the disease or its symptoms",
              effect=LOWERS),
    Predicate("causes", "clinical", _BIOLOGICAL, ("effect", "condition"),
              "produces the effect or condition, often as an adverse outcome",
              effect=RAISES),
    Predicate("approved_for", "clinical", ("agent",), ("condition", "effect"),
              "a regulator has approved the agent for the indication; give the date in context",
              effect=UNDIRECTED),
    Predicate("used_for", "clinical", ("agent",), ("condition", "effect"),
              "is used in practice for the indication, approved or off-label",
              effect=UNDIRECTED),
    Predicate("contraindicated_in", "clinical", ("agent",), ("condition", "effect"),
              "must not be given to people with the object (a label's contraindication)",
              ("treats",),
              effect=UNDIRECTED),
    # chemical
    Predicate("metabolite_of", "chemical", ("agent",), ("agent",),
              "is formed from the object by metabolism",
              effect=STRUCTURAL),
    Predicate("substrate_of", "chemical", ("agent",), ("receptor",),
              "is metabolised or carried by the object, an enzyme or transporter",
              effect=UNDIRECTED),
    Predicate("enantiomer_of", "chemical", ("agent",), ("agent",),
              "is one mirror-image form of the object",
              effect=STRUCTURAL),
    Predicate("instance_of", "chemical", ENTITY_KINDS, ENTITY_KINDS,
              "is a member of the class the object names",
              effect=STRUCTURAL),
)
PREDICATES: dict[str, Predicate] = {p.name: p for p in _PREDICATE_LIST}


def effect_of(predicate: str) -> str:
    """What a predicate says of the direction of an effect; UNDIRECTED for one outside the
    vocabulary (it asserts nothing the chains could compose)."""
    known = PREDICATES.get(predicate)
    return known.effect if known else UNDIRECTED

#: Status → what it means. The order is from strongest support to weakest.
STATUSES: dict[str, str] = {
    "established": "consensus: several independent peer-reviewed lines of evidence",
    "supported": "backed by peer-reviewed evidence",
    "hypothesis": "proposed, with thin evidence",
    "contested": "peer-reviewed evidence both ways",
    "unsupported": "asserted only by sources that are not peer-reviewed",
    "refuted": "peer-reviewed evidence against it",
    "outdated": "was true, no longer",
}
#: Statuses whose claims are not taken as current knowledge (left out of mechanism chains).
WITHDRAWN_STATUSES = frozenset({"refuted", "outdated"})
#: Statuses that may stand beside a claim with an opposite predicate on the same pair.
CONFLICT_TOLERANT_STATUSES = frozenset({"refuted", "outdated", "contested"})
#: Statuses that need a supporting peer-reviewed source.
NEEDS_PEER_SUPPORT = frozenset({"established", "supported"})
#: Predicates whose claim is a regulator's act (an approval, a label's contraindication): the
#: regulator's own document is the authority for them, so for these claims a regulatory source
#: counts wherever the status rules ask for a peer-reviewed one.
REGULATORY_PREDICATES = frozenset({"approved_for", "contraindicated_in"})
#: Statuses that need a disputing peer-reviewed or regulatory source.
NEEDS_AUTHORITY_DISPUTE = frozenset({"contested", "refuted", "outdated"})

STANCES: dict[str, str] = {
    "supports": "the source asserts the claim",
    "disputes": "the source contradicts the claim",
    "qualifies": "the source narrows or conditions the claim",
}

#: Source type → what it is. Peer review follows from the type.
SOURCE_TYPES: dict[str, str] = {
    "journal-article": "a research article in a peer-reviewed journal",
    "review": "a review article in a peer-reviewed journal",
    "clinical-trial": "a peer-reviewed report of a clinical trial",
    "regulatory-notice": "a notice, label or decision of a regulator",
    "book": "a book or book chapter",
    "news": "a news or trade-press article",
    "web-page": "a web page or blog post",
}
PEER_REVIEWED_TYPES = frozenset({"journal-article", "review", "clinical-trial"})
#: The fields of a source that name one document, whichever record gives them: two sources
#: with the same value of one are the same document recorded twice (KB053).
DOCUMENT_IDENTIFIERS = ("doi", "pmid", "pmcid")
AUTHORITATIVE_TYPES = PEER_REVIEWED_TYPES | {"regulatory-notice"}


def peer_reviewed(source_type: str | None, standing: str | None = None) -> bool:
    """Whether a source of this type and standing is peer-reviewed (None: no such source, or
    no standing): its type is a peer-reviewed one and it is not a preprint. The validator's
    status rules (in SQL and `ketakb.certainty`) read the same PEER_REVIEWED_TYPES."""
    return source_type in PEER_REVIEWED_TYPES and standing != "preprint"


#: Regulatory action → what it means: the `action` of an agent's `regulatory` entries, the
#: dated decisions that `ketakb timeline` lists.
REGULATORY_ACTIONS: dict[str, str] = {
    "recommended": "an advisory body recommended approval (e.g. the EMA's CHMP opinion)",
    "approved": "a marketing authorisation, or a new indication, was granted",
    "label-change": "the approved use or label changed (population, combination, dosing)",
    "boxed-warning": "a boxed warning was added to the label or changed",
    "restricted-distribution": "supply restricted to certified settings (e.g. an FDA REMS)",
    "scheduled": "placed under drug control (give the schedule)",
    "rescheduled": "moved to another schedule (give the new one)",
    "scheduling-declined": "a review for drug control ended in a recommendation or decision "
                           "not to control it (e.g. the WHO's Expert Committee on Drug "
                           "Dependence)",
    "rejected": "an application or indication was refused",
    "withdrawn": "an authorisation or indication was withdrawn",
}
#: Route of administration → what it means: a figure's `route` (a dose, a bioavailability)
#: and a claim context's `route`, one vocabulary so that routes compare across both.
ROUTES: dict[str, str] = {
    "intravenous": "into a vein, as a bolus or an infusion",
    "intramuscular": "into a muscle",
    "subcutaneous": "under the skin",
    "intranasal": "sprayed or dropped into the nose",
    "oral": "swallowed",
    "sublingual": "held under the tongue",
    "buccal": "held against the cheek",
    "rectal": "into the rectum",
    "epidural": "into the epidural space",
    "intrathecal": "into the cerebrospinal fluid",
    "inhaled": "breathed in",
    "transdermal": "through the skin from a patch or gel",
}
#: Design → what the document is as evidence (a source's `design`, or an evidence item's
#: narrowing of it). How much each counts is the certainty rule's (`ketakb/certainty.py`).
DESIGNS: dict[str, str] = {
    "meta-analysis": "quantitative pooling of studies",
    "systematic-review": "systematic search and appraisal without pooling",
    "randomised-controlled-trial": "participants randomly allocated to the arms compared",
    "non-randomised-trial": "open-label, single-arm, uncontrolled or non-randomised "
                            "interventional study (incl. PK studies in volunteers)",
    "observational-study": "cohort, case-control, cross-sectional, registry, "
                           "pharmacovigilance",
    "case-series": "case report or case series",
    "narrative-review": "a review without a systematic method (most review articles)",
    "animal-study": "experiments in living animals (may also include some in-vitro work)",
    "in-vitro-study": "cells, tissue slices, membranes, recombinant receptors, oocytes",
    "prescribing-information": "an approved label or SmPC",
    "regulatory-decision": "an approval, scheduling rule, regulator's announcement or "
                           "assessment report",
    "guideline": "clinical practice guideline or consensus statement",
    "opinion": "editorial, commentary, letter, perspective (peer-reviewed journal or not)",
    "web-page": "blog post, news, patient information, clinic marketing",
}
#: The species a source studied (`species`), as ids.
SPECIES: dict[str, str] = {
    "human": "people: patients or volunteers",
    "mouse": "Mus musculus",
    "rat": "Rattus norvegicus",
    "guinea-pig": "Cavia porcellus",
    "rabbit": "Oryctolagus cuniculus",
    "cat": "Felis catus",
    "dog": "Canis familiaris",
    "pig": "Sus scrofa",
    "sheep": "Ovis aries",
    "non-human-primate": "monkeys and apes",
    "zebrafish": "Danio rerio",
    "xenopus": "Xenopus laevis oocytes or frogs",
    "other-animal": "any other animal",
}
#: A source's standing (`standing.status`); an absent standing means current, never checked.
STANDINGS: dict[str, str] = {
    "current": "checked and in good standing on the date given",
    "corrected": "an erratum or correction was published; the source still stands",
    "retracted": "retracted by the journal or the authors: it counts as nothing",
    "withdrawn": "withdrawn (a preprint, label or notice taken back): it counts as nothing",
    "superseded": "replaced by a newer source, named in `by` (e.g. an updated label)",
    "preprint": "not (yet) peer-reviewed, whatever its type",
}
#: Standings whose source counts as nothing: a claim must not rest on it alone.
VOID_STANDINGS = frozenset({"retracted", "withdrawn"})
#: Context fields that make two contexts disjoint when both give them and they differ: opposite
#: claims in such contexts (a rat and a human study) do not contradict each other.
DISJOINT_CONTEXT_KEYS = ("species", "route", "population")


def contexts_overlap(first: Mapping[str, Any] | None, second: Mapping[str, Any] | None) -> bool:
    """Whether two claims' contexts can describe the same situation: no field of
    DISJOINT_CONTEXT_KEYS is given on both sides with different values (case ignored)."""
    for key in DISJOINT_CONTEXT_KEYS:
        a, b = (first or {}).get(key), (second or {}).get(key)
        if isinstance(a, str) and isinstance(b, str) and a.casefold() != b.casefold():
            return False
    return True


EFFECT_TYPES: dict[str, str] = {
    "therapeutic": "a benefit sought in treatment",
    "physiological": "a change in body or brain function, neither sought nor harmful",
    "adverse": "an unwanted or harmful effect",
}

#: Registry prefix → local identifier pattern (bioregistry style: no prefix in the value).
XREF_PATTERNS: dict[str, str] = {
    "atc": r"^[A-Z]\d{2}[A-Z]{2}\d{2}$",
    "cas": r"^\d{2,7}-\d{2}-\d$",
    "chebi": r"^\d+$",
    "chembl": r"^CHEMBL\d+$",
    "chemspider": r"^\d+$",
    "doid": r"^\d+$",
    "drugbank": r"^DB\d{5}$",
    "drugcentral": r"^\d+$",
    "eco": r"^\d{7}$",
    "go": r"^\d{7}$",
    "hgnc": r"^\d{1,5}$",
    "icd10": r"^[A-Z]\d{2}(\.\d{1,2})?$",
    "inchikey": r"^[A-Z]{14}-[A-Z]{10}-[A-Z]$",
    "iuphar.family": r"^\d+$",
    "iuphar.ligand": r"^\d+$",
    "iuphar.target": r"^\d+$",
    "kegg": r"^(?:[CDGHKM]\d{5}|[a-z]{3,4}\d{5})$",
    "mesh": r"^(?:[CD]\d{6}|C\d{9})$",
    "mondo": r"^\d{7}$",
    "ncbigene": r"^\d+$",
    "ncit": r"^C\d+$",
    "pubchem.compound": r"^\d+$",
    "reactome": r"^R-[A-Z]{3}-\d+$",
    "umls": r"^C\d{7}$",
    "unii": r"^[A-Z0-9]{10}$",
    "uniprot": r"^(?:[OPQ]\d[A-Z0-9]{3}\d|[A-NR-Z]\d(?:[A-Z][A-Z0-9]{2}\d){1,2})$",
    "wikidata": r"^Q\d+$",
}
XREF_RES: dict[str, re.Pattern[str]] = {k: re.compile(v) for k, v in XREF_PATTERNS.items()}
#: Registry prefix → URL of an identifier's page there, "{}" standing for the local identifier
#: (quoted). The site links identifiers through this table alone.
XREF_URLS: dict[str, str] = {
    "atc": "https://atcddd.fhi.no/atc_ddd_index/?code={}",
    "cas": "https://commonchemistry.cas.org/detail?cas_rn={}",
    "chebi": "https://www.ebi.ac.uk/chebi/searchId.do?chebiId=CHEBI:{}",
    "chembl": "https://www.ebi.ac.uk/chembl/explore/compound/{}",
    "chemspider": "https://www.chemspider.com/Chemical-Structure.{}.html",
    "doid": "https://disease-ontology.org/?id=DOID:{}",
    "drugbank": "https://go.drugbank.com/drugs/{}",
    "drugcentral": "https://drugcentral.org/drugcard/{}",
    "eco": "https://www.evidenceontology.org/term/ECO:{}",
    "go": "https://amigo.geneontology.org/amigo/term/GO:{}",
    "hgnc": "https://www.genenames.org/data/gene-symbol-report/#!/hgnc_id/HGNC:{}",
    "icd10": "https://icd.who.int/browse10/2019/en#/{}",
    "inchikey": "https://pubchem.ncbi.nlm.nih.gov/#query={}",
    "iuphar.family": "https://www.guidetopharmacology.org/GRAC/FamilyDisplayForward?familyId={}",
    "iuphar.ligand": "https://www.guidetopharmacology.org/GRAC/LigandDisplayForward?ligandId={}",
    "iuphar.target": "https://www.guidetopharmacology.org/GRAC/ObjectDisplayForward?objectId={}",
    "kegg": "https://www.kegg.jp/entry/{}",
    "mesh": "https://meshb.nlm.nih.gov/record/ui?ui={}",
    "mondo": "https://purl.obolibrary.org/obo/MONDO_{}",
    "ncbigene": "https://www.ncbi.nlm.nih.gov/gene/{}",
    "ncit": "https://evsexplore.semantics.cancer.gov/evsexplore/concept/ncit/{}",
    "pubchem.compound": "https://pubchem.ncbi.nlm.nih.gov/compound/{}",
    "reactome": "https://reactome.org/content/detail/{}",
    "umls": "https://uts.nlm.nih.gov/uts/umls/concept/{}",
    "unii": "https://precision.fda.gov/uniisearch/srs/unii/{}",
    "uniprot": "https://www.uniprot.org/uniprotkb/{}/entry",
    "wikidata": "https://www.wikidata.org/wiki/{}",
}

DOI_PATTERN = r"^10\.\d{4,9}/\S+$"
PMID_PATTERN = r"^[1-9]\d{0,8}$"
PMCID_PATTERN = r"^PMC\d+$"
URL_PATTERN = r"^https?://\S+$"
DATE_PATTERN = r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$"
GENE_SYMBOL_PATTERN = r"^[A-Z][A-Z0-9-]*$"
INVENTORY_PATTERN = r"^S\d-\d{2}$"
QUOTE_MAX_WORDS = 30
#: The word limit as a JSON Schema (ECMA-262) pattern, so that editors flag a long quote too.
QUOTE_PATTERN = rf"^\s*(?:\S+(?:\s+\S+){{0,{QUOTE_MAX_WORDS - 1}}})?\s*$"
#: DATE_PATTERN with months 01-12 and days 01-31, for the JSON Schemas: the models check the
#: calendar in code, which JSON Schema cannot.
SCHEMA_DATE_PATTERN = r"^\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?$"
