"""`ketakb new`: a commented skeleton of a new record that the models already accept.

It refuses an id the format does not allow or one already used (case-insensitively) by any
record or claim, and only ever writes `kb/<folder>/<id>.yaml` inside the KB. Nothing here
prints: refusals are `AuthoringError`s for the CLI to report.
"""

from __future__ import annotations

from pathlib import Path

from ketakb import vocab
from ketakb.authoring.canonical import MODELINE_PREFIX


class AuthoringError(Exception):
    """A refusal explained to the user. `usage` errors exit 2, the others exit 1."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


def kind_of(name: str) -> str:
    """The singular kind for a kind name or folder name (`agent` or `agents`)."""
    lowered = name.strip().lower()
    if lowered in vocab.FOLDER_OF_KIND:
        return lowered
    if lowered in vocab.KINDS:
        return vocab.KINDS[lowered]
    choices = ", ".join(vocab.FOLDER_OF_KIND)
    raise AuthoringError(f"unknown kind '{name}'; choose one of: {choices}", usage=True)


def check_new_id(ident: str) -> None:
    """Refuse ids the record format does not allow (which also rules out any path trick)."""
    if len(ident) > vocab.ID_MAX_LENGTH:
        raise AuthoringError(f"id '{ident}' is longer than {vocab.ID_MAX_LENGTH} characters",
                             usage=True)
    if not vocab.ID_RE.fullmatch(ident):  # match() would accept a trailing newline
        raise AuthoringError(f"invalid id '{ident}': ids are lower-case ASCII words joined by "
                             "hyphens, e.g. nmda-receptor", usage=True)


def taken_ids(root: Path) -> dict[str, str]:
    """Case-folded id → where it is used: every record file's stem and every claim id."""
    from ketakb.pipeline.build import refresh
    from ketakb.pipeline.store import Store, using_store

    def used_in(store: Store) -> dict[str, str]:
        used: dict[str, str] = {}
        for record_file in refresh(store).files:
            used.setdefault(record_file.path.stem.casefold(), record_file.display)
        for claim_id, host in store.rows("SELECT id, host FROM claims"):
            used.setdefault(str(claim_id).casefold(), f"a claim in record '{host}'")
        return used

    return using_store(root, True, used_in)


_HEADER = """\
# A new {kind} record. Replace every TODO, uncomment the optional fields you need, and delete
# these guide comments when done: `ketakb fmt` leaves a file with comments alone, and
# `ketakb validate` checks the record. CONTRIBUTING.md explains each step.
"""

_ENTITY_COMMON = """\
summary: TODO one or two sentences, in your own words (never copied from a source)
# synonyms: [TODO other name]  # other names, abbreviations, brand names
# xrefs:                       # identifiers in other registries, checked against patterns
#   {xref}
# notes: TODO curators' notes that are not claims
"""

_CLAIMS = """\
# claims:                      # statements about this record, each with its evidence
#   - id: {ident}-TODO-predicate-object  # unique across the KB
#     subject: {ident}          # the record the statement is about
#     predicate: {predicate}      # see `ketakb/vocab.py` or README for the vocabulary
#     object: TODO-object-id
#     statement: TODO the statement in one sentence
#     status: hypothesis        # established|supported|hypothesis|contested|unsupported|
#                               # refuted|outdated; each needs certain evidence (README)
#     context: {{species: human}}  # optional: species, system, tissue, route, dose, ...
#     evidence:
#       - source: TODO-source-id
#         stance: supports      # supports | disputes | qualifies
#         quote: "TODO verbatim, at most 30 words"  # required if the source is archived
#         locator: TODO page, section or paragraph
#     searches:                 # required for hypothesis and unsupported: who looked, where
#       - {{date: "TODO YYYY-MM-DD", database: PubMed, query: TODO search string,
#          found: TODO what was found, with source ids}}
"""

_BODY: dict[str, str] = {
    "source": """\
title: TODO the document's title
type: web-page                 # journal-article|review|clinical-trial|regulatory-notice|
#                              # book|news|web-page; peer-reviewed types need `journal`
design: web-page               # what it is as evidence: meta-analysis|systematic-review|
#                              # randomised-controlled-trial|non-randomised-trial|
#                              # observational-study|case-series|narrative-review|
#                              # animal-study|in-vitro-study|prescribing-information|
#                              # regulatory-decision|guideline|opinion|web-page (CONTRIBUTING)
# species: [human]             # studied: human|mouse|rat|guinea-pig|rabbit|cat|dog|pig|
#                              # sheep|non-human-primate|zebrafish|xenopus|other-animal
# n: TODO                      # participants or animals, as the source itself states
# study: TODO-study-id         # only when another source reports the same study
# standing: {{status: current, date: "TODO YYYY-MM-DD"}}  # or corrected|retracted|
#                              # withdrawn|preprint|superseded (with by: TODO-source-id)
# authors: [TODO Surname AB]   # as the source lists them
# publisher: TODO who published it (web pages, books, news, regulators)
# journal: TODO journal name   # required for journal-article, review, clinical-trial
# date: "TODO YYYY-MM-DD"      # or "YYYY" or "YYYY-MM"; always in quotes
# volume: "TODO"
# issue: "TODO"
# pages: TODO 351-354
# doi: TODO 10.1000/xyz        # without https://doi.org/
# pmid: "TODO"                 # PubMed id, digits in quotes
# pmcid: TODO PMC1234567
# url: https://TODO
# archive: TODO {ident}.txt     # plain-text snapshot used to verify quotes
# summary: TODO what the source says, in your own words
# notes: TODO curators' notes
""",
    "agent": """\
name: TODO the name people use
# class: TODO pharmacological class, e.g. arylcyclohexylamine
""",
    "receptor": """\
name: TODO the name people use
# genes: [TODO]                # HGNC symbols of the subunits, e.g. [GRIN1, GRIN2B]
""",
    "pathway": """\
name: TODO the name people use
# genes: [TODO]                # HGNC symbols of the main components
""",
    "effect": """\
name: TODO the name people use
type: therapeutic              # therapeutic | physiological | adverse
""",
    "condition": """\
name: TODO the name people use
""",
}
_XREF_EXAMPLE = {"agent": 'chebi: "6121"', "receptor": 'hgnc: "4584"',
                 "pathway": 'go: "0007165"', "effect": "mesh: D003866",
                 "condition": "mesh: D003865"}
_PREDICATE_EXAMPLE = {"source": "treats", "agent": "antagonist_of", "receptor": "leads_to",
                      "pathway": "leads_to", "effect": "treats", "condition": "treats"}


def modeline(kind: str) -> str:
    """The editor schema association line of a record of `kind` at kb/<folder>/<id>.yaml."""
    return f"{MODELINE_PREFIX} $schema=../../schemas/{kind}.schema.json"


def skeleton(kind: str, ident: str) -> str:
    """A commented skeleton record that the models accept, with TODO placeholders."""
    parts = [modeline(kind), "\n", _HEADER.format(kind=kind),
             f"id: {ident}  # must equal the file name; lower-case words joined by hyphens\n",
             _BODY[kind].format(ident=ident)]
    if kind != "source":
        parts.append(_ENTITY_COMMON.format(xref=_XREF_EXAMPLE[kind]))
        parts.append(_CLAIMS.format(ident=ident, predicate=_PREDICATE_EXAMPLE[kind]))
    else:
        parts.append("# claims: []                 # sources rarely host claims; entities do\n")
    return "".join(parts)


def new_record(root: Path, kind_name: str, ident: str) -> Path:
    """Write the skeleton of a new record; return its path. Raises AuthoringError."""
    kind = kind_of(kind_name)
    check_new_id(ident)
    if not root.is_dir():
        raise AuthoringError(f"'{root}' is not a folder", usage=True)
    used = taken_ids(root)
    if ident.casefold() in used:
        raise AuthoringError(f"id '{ident}' is taken: {used[ident.casefold()]}")
    real_root = root.resolve()
    folder = root / vocab.FOLDER_OF_KIND[kind]
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise AuthoringError(f"'{folder}' is not a plain folder inside the KB")
    folder.mkdir(exist_ok=True)
    target = folder / f"{ident}.yaml"
    if target.resolve().parent != real_root / folder.name:
        raise AuthoringError(f"refusing to write outside the KB folder: {target}")
    try:
        with open(target, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(skeleton(kind, ident))
    except FileExistsError as err:
        raise AuthoringError(f"'{target}' already exists") from err
    return target


