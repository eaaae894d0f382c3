"""Exports of the whole KB: json, jsonl, csv, sqlite and kgx. Nothing here prints.

Records come through the validated pipeline: `load_kb` runs `validate_kb` and refuses a KB
with errors (warnings are allowed), then takes the records from the compiled index. Every
format uses the documented JSON shapes of `ketakb.shapes`.

* json: one document `{"records": [record_json...], "claims": [claim_json...]}`; an agent's
  regulatory actions are in its record (`regulatory`, as written in YAML).
* jsonl: one object per line, `{"type": "record", "record": {...}}` or
  `{"type": "claim", "claim": {...}}` (wrapped, because records have a `type` field of their
  own).
* csv: a folder with one table per kind (`sources.csv`, `agents.csv`, ...), `claims.csv`,
  `evidence.csv` and `regulatory.csv` (one row per regulatory action: its `regulatory_json`
  and position). Lists of text are joined with "; "; mappings and lists of mappings (xrefs,
  context, figures, regulatory) are JSON. A cell starting with `=`, `+`, `-`, `@`, tab or
  carriage return gets a leading apostrophe so spreadsheets never execute it.
* sqlite: tables records, sources, xrefs, claims, evidence, regulatory with foreign keys and
  indexes, an
  FTS5 table `search` over all the text, and `<table>_fts` indexes that give the tables a
  search box in Datasette (`FTS_COLUMNS`); opens in sqlite3 and Datasette.
* kgx: a folder with `nodes.tsv` and `edges.tsv` (KGX TSV, `|` between multiple values), with
  Biolink categories and predicates as tabulated in `CATEGORY_RULES` and `PREDICATE_MAP`. Node
  ids are the records' own xrefs in Biolink's preferred order (`BIOLINK_ID_PREFIXES`), the
  ketakb id in `ketakb_id`; records without such an xref, and their claims, are left out
  (`kgx_left_out`). Regulatory actions are left out: KGX has no place for dated
  decisions on a product.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple, TypedDict

from ketakb import certainty, vocab
from ketakb.atomic import atomic_open as _atomic
from ketakb.atomic import atomic_path
from ketakb.findings import Finding
from ketakb.formats import ExportFormat, every_format
from ketakb.shapes import (
    REGULATORY_KEYS,
    Claim,
    Record,
    Regulatory,
    claim_json,
    display_name,
    record_json,
    regulatory_json,
)
from ketakb.terminal import json_text

FORMATS = tuple(fmt.value for fmt in ExportFormat)
#: Kinds in the order of the export's rows and files: the folders' order, sources first.
_KIND_RANK = {kind: rank for rank, kind in enumerate(vocab.FOLDER_OF_KIND)}


class ExportError(Exception):
    """The export was refused; `findings` holds the validation errors when that is why."""

    def __init__(self, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []


class Entry(NamedTuple):
    """A valid record (`record_json`, without its claims) and its kind (its folder's)."""

    kind: str
    record: Record


@dataclass(frozen=True)
class Dataset:
    """Every valid record sorted by kind then id, and their claims (`claim_json`, host
    included) in that order, each record's in the order of its file."""

    records: list[Entry]
    claims: list[Claim]

    def actions(self) -> Iterator[tuple[int, Regulatory]]:
        """Each agent's regulatory actions in `regulatory_json` shape, with their position
        (from 1) in the agent's list."""
        for _, record in self.records:
            for position, action in enumerate(record.get("regulatory", ()), 1):
                yield position, regulatory_json(action, record["id"])

    def by_id(self) -> dict[str, Entry]:
        return {entry.record["id"]: entry for entry in self.records}


def load_kb(root: Path, *, use_cache: bool = True) -> Dataset:
    """The KB's records, after a validation run without errors; else ExportError."""
    from ketakb.pipeline.build import refresh
    from ketakb.pipeline.store import Store, using_store
    from ketakb.pipeline.validation import validate_kb

    def records_of(store: Store) -> list[tuple[str, dict[str, Any]]]:
        refresh(store)
        return store.records()

    report = validate_kb(root, use_cache=use_cache)
    if report.errors:
        raise ExportError(f"the KB has {report.errors} error(s) and {report.warnings} "
                          "warning(s); fix the errors (`ketakb validate`) before exporting",
                          report.error_findings)
    stored = sorted(using_store(root, use_cache, records_of),
                    key=lambda pair: (_KIND_RANK[pair[0]], pair[1]["id"]))
    sources = {record["id"]: record for kind, record in stored if kind == "source"}
    return Dataset([Entry(kind, record_json(record, kind)) for kind, record in stored],
                   [certainty.with_certainty(claim_json(claim, record["id"]), sources)
                    for _, record in stored for claim in record.get("claims", ())])


# -- writing safely -------------------------------------------------------------------------


# -- json and jsonl -------------------------------------------------------------------------


class JsonDocument(TypedDict):
    """The json export."""

    records: list[Record]
    claims: list[Claim]


def json_document(data: Dataset) -> JsonDocument:
    return {"records": [record for _, record in data.records], "claims": data.claims}


def write_json(data: Dataset, out: IO[str]) -> None:
    out.write(json_text(json_document(data), indent=2) + "\n")


def write_jsonl(data: Dataset, out: IO[str]) -> None:
    for _, record in data.records:
        out.write(json_text({"type": "record", "record": record}) + "\n")
    for claim in data.claims:
        out.write(json_text({"type": "claim", "claim": claim}) + "\n")


# -- csv ------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would run as a formula (OWASP advice)."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def csv_cell(value: object) -> str:
    """One value as a CSV cell: text lists joined with "; ", structures as JSON."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = "; ".join(value)
    elif isinstance(value, (dict, list)):
        text = json_text(value)
    else:
        text = str(value)
    return neutralise(text)


#: A claim's certainty as three columns of the csv and sqlite exports: level, S and D.
CERTAINTY_COLUMNS = ("certainty", "support", "dispute")


def certainty_cells(claim: Claim) -> tuple[str, str, str]:
    """The values of `CERTAINTY_COLUMNS` for a claim."""
    found = claim["certainty"]
    return found["level"], found["support"], found["dispute"]


def record_columns(kind: str) -> list[str]:
    """The CSV columns of a kind: its canonical field order, without claims, plus `kind`."""
    from ketakb.authoring.canonical import record_key_order

    return [key for key in record_key_order(kind) if key != "claims"]


CLAIM_COLUMNS = ["id", "host", "subject", "predicate", "object", "statement", "status",
                 "context", "figures", "inventory", "notes", "evidence_count",
                 *CERTAINTY_COLUMNS]
EVIDENCE_COLUMNS = ["claim", "position", "source", "stance", "quote", "locator", "notes",
                    "design", "species"]
REGULATORY_COLUMNS = ["agent", "position", *REGULATORY_KEYS]


def _write_csv(path: Path, columns: list[str], rows: Iterator[Mapping[str, object]]) -> int:
    count = 0
    with _atomic(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_cell(row.get(c)) for c in columns])
            count += 1
    return count


def write_csv(data: Dataset, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, kind_folder in vocab.FOLDER_OF_KIND.items():
        path = folder / f"{kind_folder}.csv"
        _write_csv(path, record_columns(kind),
                   (record for k, record in data.records if k == kind))
        written.append(path)

    def claim_rows() -> Iterator[Mapping[str, object]]:
        for claim in data.claims:
            yield {**claim, "evidence_count": len(claim["evidence"]),
                   **dict(zip(CERTAINTY_COLUMNS, certainty_cells(claim), strict=True))}

    def evidence_rows() -> Iterator[Mapping[str, object]]:
        for claim in data.claims:
            for position, item in enumerate(claim["evidence"], 1):
                yield {"claim": claim["id"], "position": position, **item}

    _write_csv(folder / "claims.csv", CLAIM_COLUMNS, claim_rows())
    _write_csv(folder / "evidence.csv", EVIDENCE_COLUMNS, evidence_rows())
    _write_csv(folder / "regulatory.csv", REGULATORY_COLUMNS,
               ({**action, "position": position} for position, action in data.actions()))
    return [*written, folder / "claims.csv", folder / "evidence.csv",
            folder / "regulatory.csv"]


# -- sqlite ---------------------------------------------------------------------------------

SQLITE_DDL = """
PRAGMA foreign_keys = ON;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE records (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,              -- name, or title for sources
    summary TEXT,
    synonyms TEXT NOT NULL,          -- JSON array
    notes TEXT,
    json TEXT NOT NULL               -- the record's documented JSON shape
);
CREATE INDEX records_kind ON records (kind, name);
CREATE TABLE sources (
    id TEXT PRIMARY KEY REFERENCES records (id),
    type TEXT NOT NULL, peer_reviewed INTEGER NOT NULL, authors TEXT NOT NULL,
    publisher TEXT, journal TEXT, date TEXT, volume TEXT, issue TEXT, pages TEXT,
    doi TEXT, pmid TEXT, pmcid TEXT, url TEXT, archive TEXT,
    design TEXT NOT NULL,
    species TEXT,                    -- JSON array or NULL
    n INTEGER, study TEXT,
    standing TEXT,                   -- its standing's status: superseded, preprint, retracted …
    superseded_by TEXT               -- the standing's `by`
);
CREATE INDEX sources_type ON sources (type);
CREATE TABLE xrefs (
    record TEXT NOT NULL REFERENCES records (id),
    prefix TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (record, prefix)
);
CREATE INDEX xrefs_value ON xrefs (prefix, value);
CREATE TABLE claims (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL REFERENCES records (id),
    subject TEXT NOT NULL REFERENCES records (id),
    predicate TEXT NOT NULL,
    object TEXT NOT NULL REFERENCES records (id),
    statement TEXT NOT NULL,
    status TEXT NOT NULL,
    context TEXT,                    -- JSON object or NULL
    figures TEXT NOT NULL,           -- JSON array
    inventory TEXT NOT NULL,         -- JSON array
    notes TEXT,
    json TEXT NOT NULL,              -- the claim's documented JSON shape
    certainty TEXT NOT NULL,         -- none, very-low, low, moderate or high
    support TEXT NOT NULL,           -- the certainty rule's S, a level
    dispute TEXT NOT NULL            -- and its D
);
CREATE INDEX claims_subject ON claims (subject, predicate);
CREATE INDEX claims_object ON claims (object, predicate);
CREATE INDEX claims_host ON claims (host);
CREATE INDEX claims_status ON claims (status);
CREATE INDEX claims_certainty ON claims (certainty);
CREATE TABLE evidence (
    claim TEXT NOT NULL REFERENCES claims (id),
    position INTEGER NOT NULL,
    source TEXT NOT NULL REFERENCES sources (id),
    stance TEXT NOT NULL, quote TEXT, locator TEXT, notes TEXT,
    design TEXT,                     -- narrows the source's design for this item
    species TEXT,                    -- JSON array or NULL: narrows the source's species
    PRIMARY KEY (claim, position)
);
CREATE INDEX evidence_source ON evidence (source, stance);
CREATE TABLE regulatory (
    agent TEXT NOT NULL REFERENCES records (id),
    position INTEGER NOT NULL,
    action TEXT NOT NULL, date TEXT NOT NULL, agency TEXT NOT NULL,
    jurisdiction TEXT NOT NULL, product TEXT NOT NULL,
    indication TEXT REFERENCES records (id),
    schedule TEXT,
    source TEXT NOT NULL REFERENCES sources (id),
    locator TEXT, quote TEXT, notes TEXT,
    PRIMARY KEY (agent, position)
);
CREATE INDEX regulatory_date ON regulatory (date, agency, product);
CREATE VIRTUAL TABLE search USING fts5 (
    text, id UNINDEXED, kind UNINDEXED, field UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
"""
#: Table → its columns indexed in `<table>_fts`, an FTS5 index over the table's own rows
#: (`content="<table>"`): Datasette finds it by that convention and puts a search box on the
#: table.
FTS_COLUMNS: dict[str, tuple[str, ...]] = {
    "records": ("name", "synonyms", "summary", "notes"),
    "sources": ("authors", "publisher", "journal"),
    "claims": ("statement", "notes"),
    "evidence": ("quote", "locator", "notes"),
}


def add_table_search(db: sqlite3.Connection) -> None:
    """Index the filled tables for Datasette's search box. They are keyed by rowid, which
    VACUUM may renumber: call this after it."""
    db.executescript("".join(
        f'CREATE VIRTUAL TABLE {table}_fts USING fts5 ({", ".join(columns)}, '
        f"content=\"{table}\", tokenize = 'porter unicode61 remove_diacritics 2');\n"
        f"INSERT INTO {table}_fts ({table}_fts) VALUES ('rebuild');\n"
        for table, columns in FTS_COLUMNS.items()))


_SOURCE_FIELDS = ("type", "authors", "publisher", "journal", "date", "volume", "issue", "pages",
                  "doi", "pmid", "pmcid", "url", "archive", "design", "species", "n", "study")


def fill_sqlite(data: Dataset, db: sqlite3.Connection) -> None:
    """Create the export tables in an empty database and fill them."""
    from ketakb import __version__

    db.executescript(SQLITE_DDL)
    db.executemany("INSERT INTO meta VALUES (?, ?)", [
        ("format", "ketakb-sqlite-1"), ("ketakb_version", __version__)])
    for kind, record in data.records:
        ident = record["id"]
        db.execute("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)", (
            ident, kind, display_name(record), record.get("summary"),
            json_text(record.get("synonyms", [])), record.get("notes"),
            json_text(record)))
        if kind == "source":
            values = {field: record.get(field) for field in _SOURCE_FIELDS}
            values["authors"] = json_text(values["authors"] or [])
            values["species"] = None if values["species"] is None \
                else json_text(values["species"])
            standing = record.get("standing")
            status = standing["status"] if standing else None
            values |= {"standing": status, "superseded_by": standing and standing.get("by")}
            db.execute(f"INSERT INTO sources (id, peer_reviewed, {', '.join(values)}) "
                       f"VALUES ({', '.join('?' * (2 + len(values)))})",
                       (ident, int(vocab.peer_reviewed(record["type"], status)),
                        *values.values()))
        for prefix, value in (record.get("xrefs") or {}).items():
            if value is not None:
                db.execute("INSERT INTO xrefs VALUES (?, ?, ?)", (ident, prefix, value))
        texts = [(display_name(record), "name"),
                 *((s, "synonym") for s in record.get("synonyms", ())),
                 (record.get("summary"), "summary")]
        db.executemany("INSERT INTO search VALUES (?, ?, ?, ?)",
                       [(t, ident, kind, f) for t, f in texts if t])
    for claim in data.claims:
        db.execute("INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            claim["id"], claim["host"], claim["subject"], claim["predicate"], claim["object"],
            claim["statement"], claim["status"],
            None if claim["context"] is None else json_text(claim["context"]),
            json_text(claim["figures"]), json_text(claim["inventory"]), claim["notes"],
            json_text(claim), *certainty_cells(claim)))
        db.execute("INSERT INTO search VALUES (?, ?, 'claim', 'statement')",
                   (claim["statement"], claim["id"]))
        for position, item in enumerate(claim["evidence"], 1):
            db.execute("INSERT INTO evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                claim["id"], position, item["source"], item["stance"], item["quote"],
                item["locator"], item["notes"], item["design"],
                None if item["species"] is None else json_text(item["species"])))
            if item["quote"]:
                db.execute("INSERT INTO search VALUES (?, ?, 'claim', 'quote')",
                           (item["quote"], claim["id"]))
    db.executemany(f"INSERT INTO regulatory VALUES ({', '.join('?' * len(REGULATORY_COLUMNS))})",
                   [(action["agent"], position, *(action.get(key) for key in REGULATORY_KEYS))
                    for position, action in data.actions()])
    problems = db.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise ExportError(f"internal error: {len(problems)} broken reference(s) in the export")
    db.commit()


def write_sqlite(data: Dataset, path: Path) -> None:
    with atomic_path(path) as temp:
        db = sqlite3.connect(temp)
        try:
            fill_sqlite(data, db)
            db.execute("VACUUM")
            add_table_search(db)
        finally:
            db.close()


# -- kgx ------------------------------------------------------------------------------------

#: Registry prefix of `xrefs` → the Biolink/bioregistry CURIE prefix.
CURIE_PREFIX: dict[str, str] = {
    "atc": "ATC", "cas": "CAS", "chebi": "CHEBI", "chembl": "CHEMBL.COMPOUND",
    "chemspider": "CHEMSPIDER", "doid": "DOID", "drugbank": "DRUGBANK",
    "drugcentral": "DrugCentral", "eco": "ECO", "go": "GO", "hgnc": "HGNC",
    "icd10": "ICD10", "inchikey": "INCHIKEY", "iuphar.family": "IUPHAR.FAMILY",
    "iuphar.ligand": "GTOPDB", "iuphar.target": "IUPHAR.RECEPTOR", "kegg": "KEGG",
    "mesh": "MESH", "mondo": "MONDO", "ncbigene": "NCBIGene", "ncit": "NCIT",
    "pubchem.compound": "PUBCHEM.COMPOUND", "reactome": "REACT", "umls": "UMLS", "unii": "UNII",
    "uniprot": "UniProtKB", "wikidata": "WIKIDATA",
}
#: The Biolink model release `BIOLINK_ID_PREFIXES` was read from.
BIOLINK_VERSION = "4.4.6"
#: Biolink category → the CURIE prefixes Biolink accepts for its node ids, best first: the
#: class's `id_prefixes` in biolink_model.yaml of `BIOLINK_VERSION` (the biolink-model
#: package; tests/test_kgx.py compares this table with the installed model).
BIOLINK_ID_PREFIXES: dict[str, tuple[str, ...]] = {
    "biolink:Drug": (
        "ncats.drug", "RXCUI", "NDC", "UMLS", "CHEBI", "UNII", "PUBCHEM.COMPOUND",
        "CHEMBL.COMPOUND", "DRUGBANK", "MESH", "CAS", "DrugCentral", "GTOPDB", "HMDB",
        "KEGG.COMPOUND", "PHARMGKB.DRUG", "ChemBank", "PUBCHEM.SUBSTANCE", "SIDER.DRUG", "INCHI",
        "INCHIKEY", "BIGG.METABOLITE", "foodb.compound", "KEGG.GLYCAN", "KEGG.ENVIRON", "KEGG"),
    "biolink:ChemicalEntity": (
        "CHEBI", "UNII", "PUBCHEM.COMPOUND", "CHEMBL.COMPOUND", "DRUGBANK", "MESH", "CAS",
        "DrugCentral", "GTOPDB", "HMDB", "KEGG.COMPOUND", "PHARMGKB.DRUG", "ChemBank",
        "PUBCHEM.SUBSTANCE", "SIDER.DRUG", "INCHI", "INCHIKEY", "BIGG.METABOLITE", "foodb.compound",
        "KEGG.GLYCAN", "KEGG.DRUG", "KEGG.ENVIRON", "KEGG", "UMLS"),
    "biolink:GeneFamily": (
        "PANTHER.FAMILY", "HGNC.FAMILY", "FB", "interpro", "CATH", "CDD", "HAMAP", "PFAM", "PIRSF",
        "PRINTS", "PRODOM", "PROSITE", "SMART", "SUPFAM", "TIGRFAM", "CATH.SUPERFAMILY", "RFAM",
        "KEGG.ORTHOLOGY", "EGGNOG", "COG"),
    "biolink:Protein": (
        "UniProtKB", "PR", "ENSEMBL", "FB", "UMLS", "NCIT", "MESH", "ncats.drug"),
    "biolink:BiologicalProcess": (
        "GO", "REACT", "metacyc.reaction", "KEGG.MODULE", "KEGG", "UMLS"),
    "biolink:Pathway": (
        "GO", "REACT", "KEGG", "SMPDB", "MSigDB", "PHARMGKB.PATHWAYS", "WIKIPATHWAYS", "FB",
        "PANTHER.PATHWAY", "KEGG.PATHWAY", "ncats.bioplanet"),
    "biolink:PhenotypicFeature": (
        "HP", "EFO", "NCIT", "UMLS", "MEDDRA", "MP", "ZP", "UPHENO", "APO", "FBcv", "WBPhenotype",
        "SNOMEDCT", "MESH", "XPO", "FYPO", "TO"),
    "biolink:Disease": (
        "MONDO", "DOID", "OMIM", "OMIM.PS", "ORDO", "EFO", "UMLS", "MESH", "MEDDRA", "NCIT",
        "SNOMEDCT", "medgen", "icd11", "icd11.foundation", "ICD10", "ICD9", "KEGG.DISEASE", "HP",
        "MP", "PHARMGKB.DISEASE"),
}
#: How each kind maps to a Biolink category (the rule is applied per record).
CATEGORY_RULES: dict[str, str] = {
    "agent": "biolink:Drug when the agent has an ATC code (a medicine), else "
             "biolink:ChemicalEntity",
    "receptor": "biolink:GeneFamily when the record names several genes (a multi-subunit "
                "receptor or family), else biolink:Protein",
    "pathway": "biolink:BiologicalProcess when the record has a GO id and no Reactome or KEGG "
               "id, else biolink:Pathway",
    "effect": "biolink:PhenotypicFeature",
    "condition": "biolink:Disease",
}


def node_category(kind: str, record: Record) -> str:
    xrefs = record.get("xrefs") or {}
    if kind == "agent":
        return "biolink:Drug" if xrefs.get("atc") else "biolink:ChemicalEntity"
    if kind == "receptor":
        return "biolink:GeneFamily" if len(record.get("genes", ())) > 1 else "biolink:Protein"
    if kind == "pathway":
        process = xrefs.get("go") and not (xrefs.get("reactome") or xrefs.get("kegg"))
        return "biolink:BiologicalProcess" if process else "biolink:Pathway"
    return {"effect": "biolink:PhenotypicFeature", "condition": "biolink:Disease"}[kind]


@dataclass(frozen=True)
class EdgeMapping:
    """A ketakb predicate as a Biolink predicate, with the qualifiers that keep its meaning."""

    predicate: str
    qualified_predicate: str = ""
    object_aspect_qualifier: str = ""
    object_direction_qualifier: str = ""
    note: str = ""


def _affects(direction: str, aspect: str = "activity", note: str = "") -> EdgeMapping:
    return EdgeMapping("biolink:affects", "biolink:causes", aspect, direction, note)


#: The one table of predicate mappings. Drug–target predicates use the Biolink 4 qualified
#: "affects" pattern (the subject causes a change in the object's activity); the exact ketakb
#: predicate is kept in `original_predicate`.
PREDICATE_MAP: dict[str, EdgeMapping] = {
    "antagonist_of": _affects("decreased", note="prevents activation of the target"),
    "channel_blocker_of": _affects("decreased", note="occludes the target's open channel"),
    "competitive_antagonist_of": _affects("decreased", note="occupies the agonist site"),
    "inhibitor_of": _affects("decreased", note="reduces the target's activity"),
    "agonist_of": _affects("increased", note="activates the target"),
    "partial_agonist_of": _affects("increased", note="activates the target submaximally"),
    "modulator_of": _affects("", note="changes the target's activity, direction unstated"),
    "binds": EdgeMapping("biolink:directly_physically_interacts_with",
                         note="binding with no functional consequence asserted"),
    "activates": _affects("increased"),
    "inhibits": _affects("decreased"),
    "increases": _affects("increased", "activity_or_abundance"),
    "decreases": _affects("decreased", "activity_or_abundance"),
    "leads_to": EdgeMapping("biolink:contributes_to", note="an upstream step in a mechanism"),
    "required_for": EdgeMapping("biolink:contributes_to",
                                note="necessity is kept only in original_predicate"),
    "part_of": EdgeMapping("biolink:part_of"),
    "treats": EdgeMapping("biolink:treats"),
    "causes": EdgeMapping("biolink:causes"),
    "approved_for": EdgeMapping("biolink:treats", note="regulatory approval for the indication"),
    "used_for": EdgeMapping("biolink:applied_to_treat", note="used in practice, maybe off-label"),
    "contraindicated_in": EdgeMapping("biolink:contraindicated_in"),
    "substrate_of": EdgeMapping("biolink:is_substrate_of",
                                note="metabolised or carried by the enzyme or transporter"),
    "metabolite_of": EdgeMapping("biolink:is_metabolite_of"),
    "enantiomer_of": EdgeMapping("biolink:chemically_similar_to",
                                 note="Biolink maps CHEBI:is_enantiomer_of here"),
    "instance_of": EdgeMapping("biolink:subclass_of"),
}
#: A predicate added to the vocabulary before this table learns it: the most general one.
FALLBACK_MAPPING = EdgeMapping("biolink:related_to")
#: Status → Biolink knowledge_level. Refuted and outdated claims are not exported as edges.
KNOWLEDGE_LEVEL: dict[str, str] = {
    "established": "knowledge_assertion", "supported": "knowledge_assertion",
    "contested": "knowledge_assertion", "unsupported": "knowledge_assertion",
    "hypothesis": "prediction",
}
INFORES = "infores:ketakb"
NODE_COLUMNS = ["id", "category", "name", "description", "synonym", "xref", "provided_by",
                "ketakb_id"]
EDGE_COLUMNS = ["id", "subject", "predicate", "object", "qualified_predicate",
                "object_aspect_qualifier", "object_direction_qualifier", "original_predicate",
                "category", "knowledge_level", "agent_type", "primary_knowledge_source",
                "publications", "ketakb_status", "ketakb_sources", "description",
                "ketakb_certainty"]


def curie_prefix(prefix: str) -> str:
    """An xref prefix of ketakb as the CURIE prefix of the Biolink model's prefix map."""
    return CURIE_PREFIX.get(prefix, prefix.upper())


def curie(prefix: str, value: str) -> str:
    return f"{curie_prefix(prefix)}:{value}"


def node_ids(data: Dataset) -> dict[str, str]:
    """ketakb id → node CURIE: the record's own xref with the prefix Biolink prefers for the
    node's category; never shared. A record with no such xref has no node (KGX consumers
    accept only ids under prefixes the Biolink model knows, and ids are never invented)."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    for kind, record in data.records:
        if kind == "source":
            continue
        held = {curie_prefix(p): curie(p, v)
                for p, v in (record.get("xrefs") or {}).items() if v}
        for prefix in BIOLINK_ID_PREFIXES[node_category(kind, record)]:
            if prefix in held and held[prefix] not in used:
                ids[record["id"]] = held[prefix]
                used.add(held[prefix])
                break
    return ids


def kgx_left_out(data: Dataset) -> list[str]:
    """Ids of the records the KGX export leaves out: none of their xrefs is a node id Biolink
    accepts for their category (add one to the record's xrefs to bring it in)."""
    ids = node_ids(data)
    return [r["id"] for kind, r in data.records if kind != "source" and r["id"] not in ids]


def publication(source: Record) -> str | None:
    """A source as a publication CURIE: PMID:<pmid>, else doi:<doi>, else None."""
    if source.get("pmid"):
        return f"PMID:{source['pmid']}"
    if source.get("doi"):
        return f"doi:{source['doi']}"
    return None


def _tsv_cell(value: object) -> str:
    if isinstance(value, list):
        value = "|".join(str(v) for v in value)
    text = "" if value is None else str(value)
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _write_tsv(path: Path, columns: list[str], rows: Sequence[Mapping[str, object]]) -> None:
    with _atomic(path) as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n",
                            quoting=csv.QUOTE_NONE, escapechar=None, quotechar=None)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_tsv_cell(row.get(c)) for c in columns])


class KgxNode(TypedDict):
    """A row of nodes.tsv (`NODE_COLUMNS`)."""

    id: str
    category: str
    name: str
    description: str | None
    synonym: list[str]
    xref: list[str]
    provided_by: str
    ketakb_id: str


class KgxEdge(TypedDict):
    """A row of edges.tsv (`EDGE_COLUMNS`)."""

    id: str
    subject: str
    predicate: str
    object: str
    qualified_predicate: str
    object_aspect_qualifier: str
    object_direction_qualifier: str
    original_predicate: str
    category: str
    knowledge_level: str
    agent_type: str
    primary_knowledge_source: str
    publications: list[str]
    ketakb_status: str
    ketakb_sources: list[str]
    description: str
    ketakb_certainty: str


def kgx_rows(data: Dataset) -> tuple[list[KgxNode], list[KgxEdge]]:
    """(nodes, edges) of the KGX export."""
    ids = node_ids(data)
    by_id = data.by_id()
    nodes: list[KgxNode] = []
    for kind, record in data.records:
        if kind == "source" or record["id"] not in ids:
            continue
        node_id = ids[record["id"]]
        xrefs = [curie(p, v) for p, v in sorted((record.get("xrefs") or {}).items()) if v]
        nodes.append({
            "id": node_id, "category": node_category(kind, record), "name": display_name(record),
            "description": record.get("summary"), "synonym": record.get("synonyms", []),
            "xref": [x for x in xrefs if x != node_id],
            "provided_by": INFORES, "ketakb_id": record["id"]})
    edges: list[KgxEdge] = []
    for claim in data.claims:
        if claim["status"] in vocab.WITHDRAWN_STATUSES:
            continue
        if claim["subject"] not in ids or claim["object"] not in ids:
            continue
        mapping = PREDICATE_MAP.get(claim["predicate"], FALLBACK_MAPPING)
        sources = [e["source"] for e in claim["evidence"]]
        backing = [by_id[e["source"]].record for e in claim["evidence"]
                   if e["stance"] != "disputes" and e["source"] in by_id]
        publications = sorted({p for p in map(publication, backing) if p})
        edges.append({
            "id": f"ketakb:{claim['id']}", "subject": ids[claim["subject"]],
            "predicate": mapping.predicate, "object": ids[claim["object"]],
            "qualified_predicate": mapping.qualified_predicate,
            "object_aspect_qualifier": mapping.object_aspect_qualifier,
            "object_direction_qualifier": mapping.object_direction_qualifier,
            "original_predicate": f"ketakb:{claim['predicate']}",
            "category": "biolink:Association",
            "knowledge_level": KNOWLEDGE_LEVEL[claim["status"]],
            "agent_type": "manual_agent", "primary_knowledge_source": INFORES,
            "publications": publications, "ketakb_status": claim["status"],
            "ketakb_sources": sorted(set(sources)), "description": claim["statement"],
            "ketakb_certainty": claim["certainty"]["level"]})
    return nodes, edges


def write_kgx(data: Dataset, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    nodes, edges = kgx_rows(data)
    _write_tsv(folder / "nodes.tsv", NODE_COLUMNS, nodes)
    _write_tsv(folder / "edges.tsv", EDGE_COLUMNS, edges)
    return [folder / "nodes.tsv", folder / "edges.tsv"]


# -- dispatch -------------------------------------------------------------------------------


def _text_writer(write: Callable[[Dataset, IO[str]], None]) -> Callable[[Dataset, Path], None]:
    def to_path(data: Dataset, path: Path) -> None:
        with _atomic(path) as handle:
            write(data, handle)
    return to_path


#: The formats that are one text, which can also go to standard output (`--out -`).
TEXT_WRITERS: dict[ExportFormat, Callable[[Dataset, IO[str]], None]] = {
    ExportFormat.json: write_json, ExportFormat.jsonl: write_jsonl}
#: Format → what writes it to a path.
WRITERS: dict[ExportFormat, Callable[[Dataset, Path], object]] = every_format(ExportFormat, {
    **{fmt: _text_writer(write) for fmt, write in TEXT_WRITERS.items()},
    ExportFormat.csv: write_csv, ExportFormat.sqlite: write_sqlite, ExportFormat.kgx: write_kgx,
})
#: Formats whose output is a folder rather than one file.
FOLDER_FORMATS = frozenset({ExportFormat.csv, ExportFormat.kgx})


def text_export(data: Dataset, fmt: str) -> str:
    """A json or jsonl export as text (for `--out -`)."""
    buffer = io.StringIO()
    TEXT_WRITERS[ExportFormat(fmt)](data, buffer)
    return buffer.getvalue()


def export(data: Dataset, fmt: str, out: Path) -> None:
    """Write `data` in format `fmt` to `out` (a file, or a folder for csv and kgx)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format '{fmt}'; choose one of: {', '.join(FORMATS)}")
    chosen = ExportFormat(fmt)
    if chosen in FOLDER_FORMATS and out.exists() and not out.is_dir():
        raise ExportError(f"'{out}' is a file; the {fmt} export writes a folder")
    if chosen not in FOLDER_FORMATS and out.is_dir():
        raise ExportError(f"'{out}' is a folder; the {fmt} export writes one file")
    WRITERS[chosen](data, out)
