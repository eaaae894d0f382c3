"""pydantic v2 models: the single source of truth for the shape of every record.

The JSON Schemas under `schemas/` are generated from these models (`ketakb schema`), and the
loader validates every file against them. Models are strict: no type coercion, unknown fields
are errors, so a typo or a YAML surprise never passes silently.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ketakb import units, vocab

Id = Annotated[
    str,
    StringConstraints(pattern=vocab.ID_PATTERN, max_length=vocab.ID_MAX_LENGTH),
    Field(description="lower-case kebab-case ASCII, at most 64 characters"),
]
Text = Annotated[str, StringConstraints(min_length=1)]
if TYPE_CHECKING:  # the vocabularies are data; to a type checker they are strings
    PredicateName: TypeAlias = str
    Status: TypeAlias = str
    Stance: TypeAlias = str
    SourceType: TypeAlias = str
    EffectType: TypeAlias = str
    RegulatoryActionName: TypeAlias = str
    Design: TypeAlias = str
    SpeciesId: TypeAlias = str
    StandingStatus: TypeAlias = str
    Route: TypeAlias = str
else:
    PredicateName = Literal[tuple(vocab.PREDICATES)]
    Status = Literal[tuple(vocab.STATUSES)]
    Stance = Literal[tuple(vocab.STANCES)]
    SourceType = Literal[tuple(vocab.SOURCE_TYPES)]
    EffectType = Literal[tuple(vocab.EFFECT_TYPES)]
    RegulatoryActionName = Literal[tuple(vocab.REGULATORY_ACTIONS)]
    Design = Literal[tuple(vocab.DESIGNS)]
    SpeciesId = Literal[tuple(vocab.SPECIES)]
    StandingStatus = Literal[tuple(vocab.STANDINGS)]
    Route = Literal[tuple(vocab.ROUTES)]
#: NaN and infinity (YAML `.nan`, `.inf`, or `1e400`, which overflows) have no JSON form, so
#: the exports and `show --format json` could not carry them.
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
IsoDate = Annotated[
    str,
    StringConstraints(pattern=vocab.DATE_PATTERN),
    Field(description="ISO date as a string: YYYY, YYYY-MM or YYYY-MM-DD",
          json_schema_extra={"pattern": vocab.SCHEMA_DATE_PATTERN}),
]


class Strict(BaseModel):
    """Base of every model: no coercion, no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _check_iso_date(value: str | None) -> str | None:
    """The pattern admits 2024-13-40; a calendar check does not."""
    if value is None or len(value) == 4:
        return value
    parts = [int(p) for p in value.split("-")]
    datetime.date(parts[0], parts[1], parts[2] if len(parts) == 3 else 1)
    return value


def _check_quote_length(value: str | None) -> str | None:
    """A quote is evidence, not a copy: at most QUOTE_MAX_WORDS words (evidence and actions)."""
    if value is not None and len(value.split()) > vocab.QUOTE_MAX_WORDS:
        raise ValueError(
            f"quote has {len(value.split())} words; at most {vocab.QUOTE_MAX_WORDS} allowed")
    return value


class Context(Strict):
    """Qualifiers that bound where a claim holds (Wikidata-style qualifiers)."""

    species: Text | None = None
    system: Literal["clinical", "in-vivo", "ex-vivo", "in-vitro", "in-silico"] | None = None
    tissue: Text | None = None
    route: Route | None = None
    dose: Text | None = None
    population: Text | None = None
    timepoint: Text | None = None
    jurisdiction: Text | None = None
    date: IsoDate | None = Field(None, description="when the fact took effect, e.g. an approval")
    as_of: IsoDate | None = Field(None, description="the date up to which the claim was checked")

    _dates = field_validator("date", "as_of")(_check_iso_date)


if TYPE_CHECKING:
    MeasureName: TypeAlias = str
    Qualifier: TypeAlias = str
else:
    MeasureName = Literal[tuple(units.MEASURES)]
    Qualifier = Literal[units.QUALIFIERS]

_UNIT_RULES: list[Any] = units.unit_schema()  # Any: a JSON value to mypy


class Figure(Strict):
    """A measured number with what it measures, in whom, and who reported it.

    The measure comes from `ketakb.units`, which says which units fit it (KB060 when one does
    not) and how the value converts for output. A source that gives only a range states
    `lower` and `upper` without `value`.
    """

    model_config = ConfigDict(json_schema_extra={"allOf": _UNIT_RULES})

    measure: MeasureName
    qualifier: Qualifier | None = Field(
        None, description="the value is below (<), above (>) or about (≈) the number given")
    value: FiniteFloat | None = Field(None, description="the number as the source reports it")
    lower: FiniteFloat | None = Field(None, description="low end of the range reported")
    upper: FiniteFloat | None = Field(None, description="high end of the range reported")
    ci_lower: FiniteFloat | None = Field(None, description="low end of the confidence interval")
    ci_upper: FiniteFloat | None = Field(None, description="high end of the confidence interval")
    ci_level: Annotated[int, Field(gt=0, lt=100)] | None = Field(
        None, description="the confidence interval's level in percent, e.g. 95")
    unit: Text | None = Field(None, validate_default=True,
                              description="a unit the measure allows; none for a ratio")
    population: Text | None = Field(None, description="who was measured; required for "
                                    "clinical measures")
    comparator: Text | None = Field(None, description="the comparator arm, e.g. placebo")
    comparator_value: FiniteFloat | None = Field(
        None, description="the same measure in the comparator arm, in the same unit (the "
        "placebo rate beside a drug's incidence)")
    route: Route | None = Field(None, description="how the dose was given, for doses and "
                                "pharmacokinetics")
    assay: Text | None = Field(None, description="how it was measured, e.g. [3H]MK-801 binding")
    species: Text | None = Field(None, description="species (and tissue) measured in")
    definition: Text | None = None
    n: Annotated[int, Field(ge=1)] | None = None
    timepoint: Text | None = None
    source: Id

    @field_validator("unit")
    @classmethod
    def _unit_fits(cls, unit: str | None, info: ValidationInfo) -> str | None:
        measure = info.data.get("measure")
        if measure is None:  # the measure itself is wrong, and reported
            return unit
        problem = units.unit_problem(measure, unit)
        if problem is not None:
            allowed = units.allowed_units(measure)
            raise PydanticCustomError("unit_mismatch", problem, {
                "allowed": ", ".join(allowed) if allowed else "none; leave out `unit`"})
        return unit

    @model_validator(mode="after")
    def _consistent(self) -> Figure:
        if (self.lower is None) != (self.upper is None):
            raise ValueError("a range needs both lower and upper")
        if self.value is None and self.lower is None:
            raise ValueError("a figure needs a value, or a range (lower and upper)")
        if (self.ci_lower is None) != (self.ci_upper is None) or (
                (self.ci_lower is None) != (self.ci_level is None)):
            raise ValueError("a confidence interval needs ci_lower, ci_upper and ci_level")
        if self.ci_lower is not None and self.value is None:
            raise ValueError("a confidence interval needs the value it is around")
        if self.qualifier is not None and self.value is None:
            raise ValueError("a qualifier needs a value")
        if self.comparator_value is not None and self.comparator is None:
            raise ValueError("a comparator_value needs the comparator it was measured in")
        for low, high in ((self.lower, self.value), (self.value, self.upper),
                          (self.lower, self.upper), (self.ci_lower, self.value),
                          (self.value, self.ci_upper)):
            if low is not None and high is not None and high < low:
                raise ValueError("ranges must be ordered: lower ≤ value ≤ upper, "
                                 "ci_lower ≤ value ≤ ci_upper")
        if self.population is None and units.MEASURES[self.measure].group == "clinical":
            raise ValueError(f"a {self.measure} figure needs its population")
        return self


#: Species studied: each once, from the vocabulary.
SpeciesList = Annotated[list[SpeciesId], Field(min_length=1, json_schema_extra={
    "uniqueItems": True})]


def _unique_species(value: list[str] | None) -> list[str] | None:
    if value is not None and len(set(value)) != len(value):
        raise ValueError("each species once")
    return value


class Evidence(Strict):
    """One source's position on a claim, with its own words."""

    source: Id
    stance: Stance
    quote: Text | None = Field(
        None, description=f"verbatim from the source, at most {vocab.QUOTE_MAX_WORDS} words",
        json_schema_extra={"pattern": vocab.QUOTE_PATTERN},
    )
    locator: Text | None = None
    design: Design | None = Field(
        None, description="narrows the source's design for this item, e.g. a review cited "
                          "for one animal finding: animal-study")
    species: SpeciesList | None = Field(
        None, description="narrows the source's species for this item")
    notes: Text | None = None

    _quote = field_validator("quote")(_check_quote_length)
    _species = field_validator("species")(_unique_species)


class Search(Strict):
    """A literature search run for a claim: absence of evidence as a dated fact."""

    date: IsoDate = Field(description="when the search was run")
    database: Text = Field(description="where: PubMed, Cochrane Library, ClinicalTrials.gov …")
    query: Text = Field(description="the search string")
    found: Text = Field(description="what was found, in the curators' words, with source ids")

    _date = field_validator("date")(_check_iso_date)


class Claim(Strict):
    """One statement with its evidence, in the style of an INDRA or Wikidata statement."""

    model_config = ConfigDict(json_schema_extra={  # `_approval_is_dated`, for editors
        "if": {"properties": {"predicate": {"const": "approved_for"}},
               "required": ["predicate"]},
        "then": {"required": ["context"],
                 "properties": {"context": {"required": ["date", "jurisdiction"]}}},
    })

    id: Id
    subject: Id
    predicate: PredicateName
    object: Id
    statement: Text
    status: Status
    context: Context | None = None
    figures: list[Figure] = []
    evidence: Annotated[list[Evidence], Field(min_length=1)]
    inventory: list[Annotated[str, StringConstraints(pattern=vocab.INVENTORY_PATTERN)]] = Field(
        [], description="ids of the research inventory's atomic claims this claim records"
    )
    searches: list[Search] = Field(
        [], description="literature searches run for the claim (required for 'unsupported' "
                        "and 'hypothesis')")
    successor: Id | None = Field(
        None, description="the claim that replaces this one (required for 'outdated'); it "
                          "names this one in `supersedes`")
    supersedes: Id | None = Field(
        None, description="the claim this one replaces; it names this one in `successor`")
    notes: Text | None = None

    @model_validator(mode="after")
    def _not_reflexive(self) -> Claim:
        if self.subject == self.object:
            raise ValueError("a claim must link two different records")
        if self.id in (self.successor, self.supersedes):
            raise ValueError("a claim cannot succeed or supersede itself")
        return self

    @model_validator(mode="after")
    def _approval_is_dated(self) -> Claim:
        """An approval is true from a date and in a jurisdiction (KB049)."""
        missing = [key for key in ("date", "jurisdiction")
                   if self.predicate == "approved_for"
                   and getattr(self.context, key, None) is None]
        if missing:
            raise PydanticCustomError(
                "undated_approval", "an approved_for claim needs context.{missing}",
                {"missing": " and context.".join(missing)})
        return self


Xrefs = create_model(  # type: ignore[call-overload]
    "Xrefs",
    __base__=Strict,
    __doc__="Identifiers of the record in other registries, each checked against its pattern.",
    **{
        prefix.replace(".", "_"): (
            Annotated[str, StringConstraints(pattern=pattern)] | None,
            Field(None, alias=prefix),
        )
        for prefix, pattern in vocab.XREF_PATTERNS.items()
    },
)


class Record(Strict):
    """Fields every kind shares."""

    id: Id
    synonyms: list[Text] = []
    xrefs: Xrefs | None = None
    notes: Text | None = None
    claims: list[Claim] = []


class Entity(Record):
    """A thing the claims are about: anything that is not a source."""

    name: Text
    summary: Text = Field(description="the curators' own words")


_PEER_REVIEWED: list[Any] = sorted(vocab.PEER_REVIEWED_TYPES)  # Any: a JSON value to mypy


class Standing(Strict):
    """Whether a source still stands: retracted and withdrawn sources count as nothing."""

    model_config = ConfigDict(json_schema_extra={  # `_by_for_superseded`, for editors
        "if": {"properties": {"status": {"const": "superseded"}}, "required": ["status"]},
        "then": {"required": ["by"]},
    })

    status: StandingStatus
    date: IsoDate | None = Field(
        None, description="when the standing took effect (for current: when it was checked)")
    by: Id | None = Field(None, description="the source that replaces this one (superseded)")
    notes: Text | None = None

    _date = field_validator("date")(_check_iso_date)

    @model_validator(mode="after")
    def _by_for_superseded(self) -> Standing:
        if self.status == "superseded" and self.by is None:
            raise ValueError("a superseded source names the source that replaces it in `by`")
        return self


class Source(Record):
    """A document that claims cite as evidence."""

    model_config = ConfigDict(json_schema_extra={  # `_journal_for_peer_reviewed`, for editors
        "if": {"properties": {"type": {"enum": _PEER_REVIEWED}}, "required": ["type"]},
        "then": {"required": ["journal"]},
    })

    title: Text
    type: SourceType
    design: Design = Field(description="what the document is as evidence")
    species: SpeciesList | None = Field(
        None, description="the species it reports primary data on")
    n: Annotated[int, Field(ge=1)] | None = Field(
        None, description="participants or animals studied (pooled, for a meta-analysis)")
    study: Id | None = Field(
        None, description="the study it reports, when another source reports it too: "
                          "sources of one study count once")
    standing: Standing | None = Field(None, description="absent: current, never checked")
    summary: Text | None = None
    authors: list[Text] = []
    publisher: Text | None = None
    journal: Text | None = None
    date: IsoDate | None = None
    volume: Text | None = None
    issue: Text | None = None
    pages: Text | None = None
    doi: Annotated[str, StringConstraints(pattern=vocab.DOI_PATTERN)] | None = None
    pmid: Annotated[str, StringConstraints(pattern=vocab.PMID_PATTERN)] | None = None
    pmcid: Annotated[str, StringConstraints(pattern=vocab.PMCID_PATTERN)] | None = None
    url: Annotated[str, StringConstraints(pattern=vocab.URL_PATTERN)] | None = None
    # a plain file name: no folder, no `.`/`..` or hidden file, no NUL (which no open accepts)
    archive: Annotated[str, StringConstraints(
        pattern=r"^[^./\\\x00-\x1f][^/\\\x00-\x1f]*$")] | None = Field(
        None, description="file name of a plain-text snapshot used to verify quotes"
    )

    _date = field_validator("date")(_check_iso_date)
    _species = field_validator("species")(_unique_species)

    @model_validator(mode="after")
    def _journal_for_peer_reviewed(self) -> Source:
        if self.type in vocab.PEER_REVIEWED_TYPES and self.journal is None:
            raise ValueError(f"a {self.type} source needs its journal")
        if self.standing is not None and self.standing.by == self.id:
            raise ValueError("a source cannot supersede itself")
        return self


class RegulatoryAction(Strict):
    """One dated decision of a regulator on a product of the agent: what `timeline` lists."""

    action: RegulatoryActionName
    date: IsoDate = Field(description="when the action took effect")
    agency: Text = Field(description="who acted, e.g. FDA, European Commission, DEA, MHRA")
    jurisdiction: Text = Field(description="where it applies, e.g. US, EU, UK")
    product: Text = Field(description="the product acted on, e.g. Spravato nasal spray")
    indication: Id | None = Field(None, description="the condition record of the indication")
    schedule: Text | None = Field(None, description="the schedule, for (re)scheduling")
    source: Id
    locator: Text | None = None
    quote: Text | None = Field(
        None, description=f"verbatim from the source, at most {vocab.QUOTE_MAX_WORDS} words",
        json_schema_extra={"pattern": vocab.QUOTE_PATTERN},
    )
    notes: Text | None = None

    _date = field_validator("date")(_check_iso_date)
    _quote = field_validator("quote")(_check_quote_length)


class Agent(Entity):
    """Ketamine, its enantiomers and metabolites, and comparator drugs."""

    class_: Text | None = Field(None, alias="class", description="pharmacological class")
    regulatory: list[RegulatoryAction] = Field(
        [], description="dated regulatory actions on the agent's products, any order")


class Receptor(Entity):
    """A molecular target: receptor, channel, transporter or enzyme."""

    genes: list[Annotated[str, StringConstraints(pattern=vocab.GENE_SYMBOL_PATTERN)]] = Field(
        [], description="HGNC symbols"
    )


class Pathway(Entity):
    """A signalling pathway or cellular process."""

    genes: list[Annotated[str, StringConstraints(pattern=vocab.GENE_SYMBOL_PATTERN)]] = Field(
        [], description="HGNC symbols"
    )


class Effect(Entity):
    """A physiological, therapeutic or adverse effect."""

    type: EffectType


class Condition(Entity):
    """A disease or symptom an effect acts on."""


MODEL_OF_KIND: dict[str, type[Record]] = {
    "source": Source,
    "agent": Agent,
    "receptor": Receptor,
    "pathway": Pathway,
    "effect": Effect,
    "condition": Condition,
}
ADAPTERS: dict[str, TypeAdapter[Any]] = {
    kind: TypeAdapter(model) for kind, model in MODEL_OF_KIND.items()
}
