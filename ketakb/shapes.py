"""The documented JSON shapes of records and claims, shared by queries and exports.

A claim's keys are always present (null or empty when the record leaves them out), so scripts
can rely on them. Changing a shape is a breaking change: add keys, never rename or remove them.

Each shape is a TypedDict, so mypy --strict catches a misspelt key wherever a query result is
read (renderers, exports, the site); tests/test_typed_shapes.py holds them to the JSON the
commands print and to the models. A record is its YAML fields as written, so beyond "id" and
"kind" its keys are optional (`Record` lists every kind's fields); the figures and context of
a claim are YAML as written too. Claims, evidence and the other query results have every key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypedDict, cast

from ketakb.units import normalise


class Context(TypedDict, total=False):
    """Where a claim holds: the qualifiers the claim's YAML gives."""

    species: str | None
    system: str | None
    tissue: str | None
    route: str | None
    dose: str | None
    population: str | None
    timepoint: str | None
    jurisdiction: str | None
    date: str | None
    as_of: str | None


class Quantity(TypedDict):
    """A figure's number(s) converted for comparison (`ketakb.units.normalise`)."""

    qualifier: str | None
    value: float | None
    lower: float | None
    upper: float | None
    ci_lower: float | None
    ci_upper: float | None


class Normalised(Quantity):
    """The quantity in its dimension's base unit (nM, h, L/kg …)."""

    unit: str


class PScale(Quantity):
    """A binding measure as its negative decimal logarithm (pKi, pIC50 …)."""

    measure: str


class FigureExtras(TypedDict, total=False):
    """What a figure's JSON adds to its YAML where its unit converts."""

    normalised: Normalised
    p_scale: PScale


class _FigureKeys(TypedDict):
    measure: str
    source: str


class Figure(_FigureKeys, FigureExtras, total=False):
    """A measured number, with the optional fields its YAML gives, plus `FigureExtras`."""

    qualifier: str | None
    value: float | None
    lower: float | None
    upper: float | None
    ci_lower: float | None
    ci_upper: float | None
    ci_level: int | None
    unit: str | None
    population: str | None
    comparator: str | None
    comparator_value: float | None
    route: str | None
    assay: str | None
    species: str | None
    definition: str | None
    n: int | None
    timepoint: str | None


class FigureHit(TypedDict):
    """`figures`: one figure with the claim it belongs to."""

    claim: str
    status: str
    subject: str
    predicate: str
    object: str
    figure: Figure


class Evidence(TypedDict):
    """One source's position on a claim: every key, null when the YAML leaves it out."""

    source: str
    stance: str
    quote: str | None
    locator: str | None
    design: str | None
    species: list[str] | None
    notes: str | None


class Search(TypedDict):
    """A recorded literature search: when, where, what was asked, what was found."""

    date: str
    database: str
    query: str
    found: str


class Certainty(TypedDict):
    """How sure the KB is that a claim holds (`ketakb.certainty`): the `level`, the support S
    and dispute D it follows from (level names of `ketakb.certainty.LEVELS`), and the
    claim's `system` (human, animal or in-vitro)."""

    level: str
    support: str
    dispute: str
    system: str


class StoredClaim(TypedDict):
    """A claim's YAML fields and host, as `claim_json` writes them (and the index stores)."""

    id: str
    host: str
    subject: str
    predicate: str
    object: str
    statement: str
    status: str
    context: Context | None
    figures: list[Figure]
    evidence: list[Evidence]
    inventory: list[str]
    searches: list[Search]
    successor: str | None
    supersedes: str | None
    notes: str | None


class ClaimExtras(TypedDict):
    """What a claim's JSON adds to `StoredClaim` when it is read: computed from its sources,
    which other files hold, so never stored with it (`ketakb.certainty.with_certainty`)."""

    certainty: Certainty


class Claim(StoredClaim, ClaimExtras):
    """A claim, as queries and exports give it: `claim_json` plus `ClaimExtras`."""


class CertaintyUnit(TypedDict):
    """One independent line of evidence as the certainty rule weighs it (`certainty.Unit`):
    its study or source id, side, sources, the design that sets its level, its system (null
    for designs with none of their own), whether it is direct and peer-reviewed, its level
    and the steps that led there."""

    id: str
    stance: str
    sources: list[str]
    design: str
    system: str | None
    direct: bool
    peer_reviewed: bool
    level: str
    steps: list[str]


class NotWeighed(TypedDict):
    """An evidence item the rule lists but does not weigh: it qualifies the claim, or its
    source is retracted or withdrawn (`standing`)."""

    source: str
    stance: str
    standing: str


class AssessmentJson(TypedDict):
    """How a claim's certainty was reached: the units weighed (supporting first), S, D, the
    level, the items not weighed, and every step as text (the last three: S, D, level)."""

    system: str
    units: list[CertaintyUnit]
    support: str
    dispute: str
    level: str
    ignored: list[NotWeighed]
    steps: list[str]


class ShownClaim(Claim):
    """`show CLAIM-ID`: the claim plus how its certainty was reached."""

    assessment: AssessmentJson


class _RecordKeys(TypedDict):
    id: str
    kind: str


#: An agent's pharmacological class: "class" is a keyword, hence the functional syntax.
class _StandingKeys(TypedDict):
    status: str


class Standing(_StandingKeys, total=False):
    """Whether a source still stands (the model `Standing`)."""

    date: str | None
    by: str | None
    notes: str | None


class _ActionKeys(TypedDict):
    action: str
    date: str
    agency: str
    jurisdiction: str
    product: str
    source: str


class RegulatoryAction(_ActionKeys, total=False):
    """An agent's regulatory action as its YAML writes it (the model `RegulatoryAction`)."""

    indication: str | None
    schedule: str | None
    locator: str | None
    quote: str | None
    notes: str | None


_AgentKeys = TypedDict("_AgentKeys", {"class": str | None,
                                      "regulatory": list[RegulatoryAction]}, total=False)


class Record(_RecordKeys, _AgentKeys, total=False):
    """A record, as `record_json` writes it: "kind" plus the YAML fields it has. Which kind
    has which field is the models' business (`ketakb.models`); here, every kind's fields."""

    synonyms: list[str]
    xrefs: dict[str, str | None] | None
    notes: str | None
    # entities (agent, receptor, pathway, effect, condition)
    name: str
    summary: str | None
    genes: list[str]  # receptor, pathway
    type: str  # source, effect
    # sources
    title: str
    design: str
    species: list[str]
    n: int
    study: str
    standing: Standing
    authors: list[str]
    publisher: str | None
    journal: str | None
    date: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    doi: str | None
    pmid: str | None
    pmcid: str | None
    url: str | None
    archive: str | None


class Shown(Record):
    """`show`: the record plus every claim that involves it."""

    claims: list[Claim]


class WeakestLink(TypedDict):
    """A chain's step of lowest certainty (the first of them on a tie), and its level."""

    claim: str
    level: str


class ChainDirection(TypedDict):
    """What a chain asserts about how its first record changes its last: `net` "raises",
    "lowers" or "not asserted"; each step's predicate `effects` ("raises", "lowers",
    "structural", "undirected"); the claims whose step `breaks` the composition; and its
    `weakest` link, which bounds how sure the chain as a whole can be."""

    net: str
    effects: list[str]
    breaks: list[str]
    weakest: WeakestLink


#: `explain`: the chains of claims from "from" to "target" ("from" is a keyword);
#: `chains[i]` is the direction of `paths[i]`.
Explanation = TypedDict("Explanation", {
    "target": str, "from": str, "paths": list[list[Claim]], "chains": list[ChainDirection],
    "truncated": bool})


class Matched(TypedDict):
    """A field of a search hit that matched, the match marked «so»."""

    field: str
    text: str


class SearchHit(TypedDict):
    id: str
    kind: str
    name: str
    score: float
    matched: list[Matched]


#: The sides a source takes on a disputed claim, in the order they are listed.
Side = Literal["supports", "disputes", "qualifies"]
SIDES: tuple[Side, ...] = ("supports", "disputes", "qualifies")


class Disputed(TypedDict):
    """A contested, refuted or outdated claim with the source ids on each side."""

    claim: Claim
    supports: list[str]
    disputes: list[str]
    qualifies: list[str]


class Opposing(TypedDict):
    """Claims with opposite predicates on the same records: one side's, then the other's."""

    claims: list[Claim]


class Conflicts(TypedDict):
    disputed: list[Disputed]
    opposing: list[Opposing]


class GraphNode(TypedDict):
    id: str
    kind: str
    name: str


class GraphEdge(TypedDict):
    id: str
    subject: str
    predicate: str
    object: str
    status: str


class Graph(TypedDict):
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool


class ClaimCounts(TypedDict):
    total: int
    by_status: dict[str, int]
    peer_reviewed: int
    peer_reviewed_share: float
    by_certainty: dict[str, int]


class QuoteCounts(TypedDict):
    """Quotes, and how many were found in the archived texts (null when not checked)."""

    total: int
    archived: int
    verified: int | None
    not_found: int | None


class Stats(TypedDict):
    records: dict[str, int]
    claims: ClaimCounts
    sources: dict[str, int]
    quotes: QuoteCounts



def display_name(record: Mapping[str, Any]) -> str:
    """What a record is called wherever it is shown or indexed: its name (a source's title),
    else its id."""
    return str(record.get("name") or record.get("title") or record["id"])


def claim_json(claim: Mapping[str, Any], host: str) -> StoredClaim:
    """A claim of a valid record's YAML in the shape `StoredClaim`; a figure gains
    `FigureExtras` where its unit converts (`ketakb.units.normalise`)."""
    return {
        "id": claim["id"],
        "host": host,
        "subject": claim["subject"],
        "predicate": claim["predicate"],
        "object": claim["object"],
        "statement": claim["statement"],
        "status": claim["status"],
        "context": claim.get("context"),
        "figures": [cast(Figure, {**figure, **normalise(figure)})
                    for figure in claim.get("figures", ())],
        "evidence": [{"source": item["source"], "stance": item["stance"],
                      "quote": item.get("quote"), "locator": item.get("locator"),
                      "design": item.get("design"), "species": item.get("species"),
                      "notes": item.get("notes")} for item in claim["evidence"]],
        "inventory": claim.get("inventory", []),
        "searches": claim.get("searches", []),
        "successor": claim.get("successor"),
        "supersedes": claim.get("supersedes"),
        "notes": claim.get("notes"),
    }


def record_json(record: Mapping[str, Any], kind: str) -> Record:
    """A valid record's YAML as "kind" plus its fields, without its claims (they are listed
    apart). Validation against `ketakb.models` is what makes the fields those of `Record`."""
    return cast(Record, {"kind": kind,
                         **{key: value for key, value in record.items() if key != "claims"}})


class Regulatory(TypedDict):
    """A dated regulatory action on an agent, every key present (null when not given)."""

    agent: str
    action: str
    date: str
    agency: str
    jurisdiction: str
    product: str
    indication: str | None
    schedule: str | None
    source: str
    locator: str | None
    quote: str | None
    notes: str | None


#: An action's own keys (all but "agent"), in order: the columns of the exports' tables.
REGULATORY_KEYS = tuple(key for key in Regulatory.__annotations__ if key != "agent")


def regulatory_json(action: Mapping[str, Any], agent: str) -> Regulatory:
    """A regulatory action of `agent` as `Regulatory`."""
    return {"agent": agent, "action": action["action"], "date": action["date"],
            "agency": action["agency"], "jurisdiction": action["jurisdiction"],
            "product": action["product"], "indication": action.get("indication"),
            "schedule": action.get("schedule"), "source": action["source"],
            "locator": action.get("locator"), "quote": action.get("quote"),
            "notes": action.get("notes")}
