"""Whatever a record file holds, checking it yields findings, never an exception.

`check_bytes` turns an unexpected exception into a KB099 finding, so "no exception" alone
would prove nothing: the properties also demand that KB099 never appears, that every code
is a published rule, and that every finding points at a real line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketakb.findings import RULES
from ketakb.pipeline.loader import FileResult, RecordFile, check_bytes
from ketakb.pipeline.parse import parse_yaml

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
KINDS = ("agent", "source", "receptor")
#: Keys the models know, so random trees often get past parsing into the models.
FIELD_NAMES = ("id", "name", "title", "type", "summary", "synonyms", "xrefs", "claims", "subject",
               "predicate", "object", "statement", "status", "evidence", "source", "stance",
               "quote", "context", "species", "figures", "value", "date", "pmid", "chebi")


def _check(raw: bytes, kind: str = "agent") -> FileResult:
    folder = {"agent": "agents", "source": "sources", "receptor": "receptors"}[kind]
    path = Path("kb") / folder / "x.yaml"
    result = check_bytes(RecordFile(str(path), kind, path.as_posix()), raw)
    # YAML also breaks lines at CR, NEL, LS and PS; the end of the text may be one line on
    lines = len(raw.decode("utf-8", errors="replace").splitlines()) + 1
    for finding in result.findings:
        assert finding.code in RULES, finding
        assert finding.code != "KB099", finding.message
        assert 1 <= finding.line <= lines, finding
        assert finding.column >= 1, finding
        assert finding.file == "kb/" + folder + "/x.yaml"
    if result.record is not None:  # accepted: nothing but perhaps the id-vs-name finding
        assert {f.code for f in result.findings} <= {"KB030"}
    else:
        assert result.findings, "a rejected file must say why"
    return result


@SETTINGS
@given(st.text(max_size=400), st.sampled_from(KINDS))
def test_random_text(text: str, kind: str) -> None:
    _check(text.encode("utf-8", errors="surrogatepass"), kind)


@SETTINGS
@given(st.binary(max_size=400))
def test_random_bytes(raw: bytes) -> None:
    _check(raw)


scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
           | st.text(max_size=20) | st.sampled_from(["no", "on", "1.10", "2024-01-05", "~"]))
keys = st.sampled_from(FIELD_NAMES) | st.text(max_size=10)
trees = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)
records = st.fixed_dictionaries(
    {"id": st.sampled_from(["x", "X", "x-1", "y"]), "name": scalars, "summary": scalars},
    optional={"claims": st.lists(st.dictionaries(keys, trees, max_size=8), max_size=2),
              "xrefs": st.dictionaries(keys, scalars, max_size=3),
              "extra": trees},
)


def _dump(tree: Any, flow: bool | None) -> bytes:
    return yaml.safe_dump(tree, default_flow_style=flow, allow_unicode=True,
                          sort_keys=False).encode("utf-8")


@SETTINGS
@given(trees, st.sampled_from([None, True, False]), st.sampled_from(KINDS))
def test_random_yaml_trees(tree: Any, flow: bool | None, kind: str) -> None:
    _check(_dump(tree, flow), kind)


@SETTINGS
@given(records, st.sampled_from([None, True, False]), st.sampled_from(KINDS))
def test_random_record_like_trees(record: dict[str, Any], flow: bool | None, kind: str) -> None:
    _check(_dump(record, flow), kind)


@SETTINGS
@given(trees)
def test_parse_never_raises_and_a_value_means_no_problems(tree: Any) -> None:
    parsed = parse_yaml(_dump({"root": tree}, None))
    assert (parsed.value is None) == bool(parsed.problems)
