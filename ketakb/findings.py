"""Findings are values: every problem the validator sees becomes one, with a stable rule code.

Rule codes never change meaning once published (like the OSV linter's), so CI configurations
and people's memories stay valid across releases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: str
    summary: str


_RULE_LIST = (
    Rule("KB001", "invalid-encoding", ERROR, "the file is not valid UTF-8 text"),
    Rule("KB002", "yaml-syntax", ERROR, "the file is not well-formed YAML"),
    Rule("KB003", "multiple-documents", ERROR, "a record file holds exactly one YAML document"),
    Rule("KB004", "root-not-mapping", ERROR, "the top level of a record is a mapping of fields"),
    Rule("KB005", "duplicate-key", ERROR, "a key appears twice in one mapping"),
    Rule("KB006", "anchor-or-alias", ERROR, "anchors and aliases are not allowed (alias bombs)"),
    Rule("KB007", "explicit-tag", ERROR, "explicit YAML tags such as !!str are not allowed"),
    Rule("KB008", "too-deep", ERROR, "nesting deeper than 32 levels"),
    Rule("KB009", "file-too-large", ERROR, "a record file is larger than 1 MiB"),
    Rule("KB010", "stray-file", ERROR, "a file or folder that is not a record in a kind folder"),
    Rule("KB011", "symlink-outside", ERROR, "a symbolic link leads outside the knowledge base"),
    Rule("KB012", "unreadable-file", ERROR, "the file cannot be read"),
    Rule("KB020", "schema", ERROR, "a field has the wrong type or value"),
    Rule("KB021", "unknown-field", ERROR, "a field the record format does not define"),
    Rule("KB022", "missing-field", ERROR, "a required field is absent"),
    Rule("KB030", "id-mismatch", ERROR, "the file stem differs from the record's id"),
    Rule("KB031", "duplicate-id", ERROR, "an id is used twice (also case-insensitively)"),
    Rule("KB032", "dangling-reference", ERROR, "a reference names no record in the KB"),
    Rule("KB033", "wrong-kind-reference", ERROR,
         "a reference names a record of a kind the field or predicate does not allow"),
    Rule("KB034", "claim-not-on-host", ERROR,
         "a claim is stored in a record that is neither its subject nor its object"),
    Rule("KB035", "status-unjustified", ERROR,
         "the claim's status lacks the kind of source it needs (peer-reviewed: not a preprint)"),
    Rule("KB036", "duplicate-claim", ERROR,
         "the same subject, predicate, object and context are claimed twice"),
    Rule("KB037", "opposing-claims", ERROR,
         "opposite predicates on the same pair in overlapping contexts, and neither is refuted, "
         "outdated or contested"),
    Rule("KB038", "quote-not-found", ERROR, "a quote is not in its source's archived text"),
    Rule("KB039", "archive-missing", ERROR, "a source's archive file is not in --sources-dir"),
    Rule("KB040", "quote-required", ERROR,
         "evidence or a regulatory action from an archived source needs a quote"),
    Rule("KB041", "established-one-line", ERROR,
         "'established' needs two independent peer-reviewed supporting units (study or source)"),
    Rule("KB042", "support-not-direct", ERROR,
         "'supported' and 'established' need peer-reviewed support direct for the claim's "
         "system (human, animal, in vitro)"),
    Rule("KB043", "search-missing", ERROR,
         "'unsupported' and 'hypothesis' need a recorded literature search"),
    Rule("KB044", "refutation-too-weak", ERROR,
         "'refuted' needs disputing evidence stronger than the support"),
    Rule("KB045", "contested-not-direct", ERROR,
         "'contested' needs direct peer-reviewed evidence on both sides"),
    Rule("KB046", "successor-missing", ERROR, "an 'outdated' claim names its successor"),
    Rule("KB047", "successor-not-mutual", ERROR,
         "a claim's successor does not name it in `supersedes`, or the other way round"),
    Rule("KB048", "rests-on-void-source", ERROR,
         "a claim's only support is retracted or withdrawn sources"),
    Rule("KB049", "undated-approval", ERROR,
         "an approved_for claim carries the date and jurisdiction of the approval"),
    Rule("KB050", "uncited-source", WARNING, "no claim or regulatory action cites this source"),
    Rule("KB051", "orphan-record", WARNING, "no claim involves this record"),
    Rule("KB052", "cites-void-source", WARNING, "evidence cites a retracted or withdrawn source"),
    Rule("KB053", "duplicate-source", ERROR,
         "two sources share a DOI, PMID or PMCID: one document recorded twice"),
    Rule("KB060", "unit-mismatch", ERROR,
         "a figure's unit is not one its measure allows (see ketakb/units.py)"),
    Rule("KB099", "internal-error", ERROR, "an unexpected error while checking a file"),
)
RULES: dict[str, Rule] = {rule.code: rule for rule in _RULE_LIST}

#: A path into a record, as pydantic reports it: ("claims", 0, "evidence", 1, "source").
Loc = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place. Ordered by file, line, column, code for stable output."""

    file: str
    line: int
    column: int
    code: str
    message: str
    hint: str = ""
    loc: Loc = field(default=(), compare=False)

    @property
    def severity(self) -> str:
        return RULES[self.code].severity

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
        }


def format_loc(loc: Loc) -> str:
    """("claims", 0, "object") → "claims[0].object", the way a curator reads a path."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
