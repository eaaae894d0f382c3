"""The TypedDicts of `ketakb.shapes` are the JSON the commands print, key for key and type for
type, and they stay the models' fields; and mypy --strict reports a misspelt key in code that
reads a query result, so that guarantee cannot quietly go."""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints, is_typeddict

import pytest
from mypy import api as mypy_api
from typer.testing import CliRunner

from ketakb import bundled_kb, models, shapes
from ketakb.cli import app
from ketakb.output.citations import CslItem
from ketakb.output.export import JsonDocument

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

#: Code that reads query results: each line ending in `# typo` misspells a key and must be
#: the only kind of line mypy reports.
SNIPPET = '''\
from ketakb import open_kb
from ketakb.output.render import stats_table

with open_kb("kb") as kb:
    claim = kb.claims()[0]
    print(claim["statement"], claim["evidence"][0]["stance"])
    print(claim["statment"])  # typo
    print(claim["evidence"][0]["stanse"])  # typo
    print(claim["certainty"]["levle"])  # typo
    shown = kb.show("ketamine")
    if shown is not None:
        print(shown["summary"], shown["claims"][0]["host"])
        print(shown["sumary"])  # typo
    explained = kb.explain("rapid-antidepressant-effect")
    print(explained["from"], explained["paths"][0][0]["object"])
    print(explained["path"])  # typo
    print(kb.search("nmda")[0]["matched"][0]["feild"])  # typo
    print(kb.conflicts()["disputed"][0]["support"])  # typo
    print(kb.graph()["edges"][0]["objet"])  # typo
    print(kb.stats()["quotes"]["verfied"])  # typo
    stats_table({"records": {}}, open("/dev/null", "w"))  # typo
'''


def test_mypy_reports_a_misspelt_key_in_a_query_result(tmp_path: Path) -> None:
    snippet = tmp_path / "reader.py"
    snippet.write_text(SNIPPET, encoding="utf-8")
    out, err, status = mypy_api.run([
        str(snippet), "--config-file", str(ROOT / "pyproject.toml"), "--follow-imports=silent",
        "--cache-dir", str(tmp_path / "mypy-cache"), "--no-error-summary",
        "--hide-error-context"])
    assert status == 1, out + err
    typos = {n for n, line in enumerate(SNIPPET.splitlines(), 1) if line.endswith("# typo")}
    reported = {int(line.split(":")[1]) for line in out.splitlines() if ": error:" in line}
    assert reported == typos, out
    assert all("TypedDict" in line for line in out.splitlines() if ": error:" in line), out


def _mismatches(value: Any, hint: Any, where: str) -> list[str]:
    """Where `value` (decoded JSON) does not fit the type `hint`: a TypedDict's keys (its
    required ones present, no other), list items, mapping values, unions, scalars."""
    if hint is Any:
        return []
    if is_typeddict(hint):
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not an object"]
        keys = set(value)
        problems = [f"{where}: no key {key!r}" for key in hint.__required_keys__ - keys]
        problems += [f"{where}: unknown key {key!r}" for key in keys - set(hint.__annotations__)]
        hints = get_type_hints(hint)
        for key in [key for key in value if key in hints]:
            problems += _mismatches(value[key], hints[key], f"{where}.{key}")
        return problems
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None:
            return [] if type(None) in args else [f"{where}: null is not allowed"]
        arms = [arg for arg in args if arg is not type(None)]
        each = [_mismatches(value, arg, where) for arg in arms]
        return [] if any(not found for found in each) else each[0]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: {value!r} is not a list"]
        return [p for n, item in enumerate(value) for p in _mismatches(item, args[0],
                                                                         f"{where}[{n}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not an object"]
        return [p for key, item in value.items() for p in _mismatches(item, args[1],
                                                                        f"{where}.{key}")]
    if hint is float:
        fits = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        fits = isinstance(value, hint) and (hint is bool or not isinstance(value, bool))
    return [] if fits else [f"{where}: {value!r} is not {hint.__name__}"]


def test_the_shape_check_finds_a_wrong_key_or_value() -> None:
    record = {"id": 1, "kind": "agent", "nmae": "x", "xrefs": {"chebi": None, "cas": 2}}
    assert _mismatches(record, shapes.Record, "r") == [
        "r: unknown key 'nmae'", "r.id: 1 is not str", "r.xrefs.cas: 2 is not str"]
    assert _mismatches([{"id": "x"}], list[shapes.Record], "r") == ["r[0]: no key 'kind'"]


#: Each query command with --format json (or csl-json, or an export to stdout) and the type
#: of what it prints.
COMMANDS: list[tuple[list[str], Any]] = [
    (["list", "--format", "json"], list[shapes.Record]),
    (["show", "ketamine", "--format", "json"], shapes.Shown),
    (["show", "zarate-2006", "--format", "json"], shapes.Shown),
    (["show", "ketamine-blocks-nmda-receptor-channel", "--format", "json"], shapes.ShownClaim),
    (["claims", "--format", "json"], list[shapes.Claim]),
    (["search", "nmda", "--format", "json"], list[shapes.SearchHit]),
    (["explain", "rapid-antidepressant-effect", "--format", "json"], shapes.Explanation),
    (["conflicts", "--format", "json"], shapes.Conflicts),
    (["sources", "--format", "json"], list[shapes.Record]),
    (["stats", "--format", "json"], shapes.Stats),
    (["graph", "--format", "json"], shapes.Graph),
    (["cite", "ketamine", "--style", "csl-json"], list[CslItem]),
    (["export", "--format", "json", "--out", "-"], JsonDocument),
]


def test_every_command_prints_its_typed_shape() -> None:
    kb = str(bundled_kb())
    for args, hint in COMMANDS:
        result = runner.invoke(app, [*args, "--kb", kb])
        assert result.exit_code == 0, (args, result.output)
        assert _mismatches(json.loads(result.stdout), hint, args[0]) == [], args


def test_claims_and_evidence_have_exactly_their_keys() -> None:
    result = runner.invoke(app, ["claims", "--format", "json", "--kb", str(bundled_kb())])
    claims = json.loads(result.stdout)
    assert shapes.Claim.__required_keys__ == set(shapes.Claim.__annotations__)
    assert shapes.Evidence.__required_keys__ == set(shapes.Evidence.__annotations__)
    assert all(list(c) == list(shapes.Claim.__annotations__) for c in claims)
    assert all(list(e) == list(shapes.Evidence.__annotations__)
               for c in claims for e in c["evidence"])
    assert any(c["figures"] for c in claims) and any(c["context"] for c in claims)


def _fields(model: type[models.Strict]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


def _required(model: type[models.Strict]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()
            if info.is_required()}


@pytest.mark.parametrize(("shape", "model"), [
    (shapes.Context, models.Context), (shapes.Figure, models.Figure),
    (shapes.Evidence, models.Evidence)])
def test_nested_shapes_are_the_models_fields(shape: Any, model: type[models.Strict]) -> None:
    """A figure's JSON adds the converted values (`FigureExtras`) to its YAML fields."""
    added = set(shapes.FigureExtras.__annotations__) if shape is shapes.Figure else set()
    assert set(shape.__annotations__) == _fields(model) | added
    if shape is not shapes.Evidence:  # claim_json fills in every evidence key
        assert shape.__required_keys__ == _required(model)


def test_claim_and_record_shapes_are_the_models_fields() -> None:
    """A field added to a model is a key of the shape too (else mypy rejects reading it)."""
    computed = set(shapes.ClaimExtras.__annotations__)  # certainty: from the sources, not YAML
    assert computed == {"certainty"}
    assert set(shapes.Claim.__annotations__) == _fields(models.Claim) | {"host"} | computed
    assert set(shapes.StoredClaim.__annotations__) == _fields(models.Claim) | {"host"}
    every_kind = set().union(*(_fields(m) for m in models.MODEL_OF_KIND.values()))
    assert set(shapes.Record.__annotations__) == every_kind - {"claims"} | {"kind"}
    assert shapes.Record.__required_keys__ == {"id", "kind"}
    assert set(shapes.Shown.__annotations__) == set(shapes.Record.__annotations__) | {"claims"}
