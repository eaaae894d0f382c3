"""The committed JSON Schemas: in step with the models, draft-07 only, usable by editors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ketakb import vocab
from ketakb.authoring.schema import DRAFT_07, schema_files, stale_schema_files
from ketakb.cli import app
from ketakb.pipeline.parse import parse_yaml
from tests.conftest import VALID_KB

COMMITTED = Path(__file__).resolve().parent.parent / "schemas"
#: Keywords of drafts after 07 that yaml-language-server would not understand.
LATER_DRAFT_KEYWORDS = frozenset({
    "$defs", "prefixItems", "unevaluatedProperties", "unevaluatedItems", "dependentRequired",
    "dependentSchemas", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef",
    "$recursiveAnchor", "$vocabulary", "minContains", "maxContains",
})

runner = CliRunner()


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _schemas() -> dict[str, dict[str, Any]]:
    return {name: json.loads(text) for name, text in schema_files().items()}


def test_committed_schemas_match_the_models() -> None:
    """Fails when a model changed and `ketakb schema --out schemas` was not run."""
    assert stale_schema_files(COMMITTED) == []
    assert sorted(p.name for p in COMMITTED.glob("*.json")) == sorted(schema_files())


def test_drift_is_detected(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert stale_schema_files(tmp_path) == []
    agent = tmp_path / "agent.schema.json"
    agent.write_text(agent.read_text().replace('"name"', '"nom"'), encoding="utf-8")
    (tmp_path / "source.schema.json").unlink()
    assert stale_schema_files(tmp_path) == ["source.schema.json", "agent.schema.json"]
    check = runner.invoke(app, ["schema", "--out", str(tmp_path), "--check"])
    assert check.exit_code == 1
    assert "agent.schema.json: out of date" in check.output
    assert runner.invoke(app, ["schema", "--out", str(COMMITTED), "--check"]).exit_code == 0


def test_one_schema_per_kind() -> None:
    assert set(schema_files()) == {f"{kind}.schema.json" for kind in vocab.FOLDER_OF_KIND}


@pytest.mark.parametrize("name", sorted(schema_files()))
def test_draft_07_only(name: str) -> None:
    schema = _schemas()[name]
    assert schema["$schema"] == DRAFT_07
    used = {key for key, _ in _walk(schema)}
    assert not used & LATER_DRAFT_KEYWORDS
    definitions = schema.get("definitions", {})
    for key, value in _walk(schema):
        if key == "$ref":
            assert value.startswith("#/definitions/"), value
            assert value.removeprefix("#/definitions/") in definitions, value


def test_schemas_forbid_unknown_fields() -> None:
    """Editors flag a typo as the validator does (extra="forbid" → additionalProperties)."""
    for name, schema in _schemas().items():
        assert schema["additionalProperties"] is False, name
        for definition in schema.get("definitions", {}).values():
            if definition.get("type") == "object":
                assert definition.get("additionalProperties") is False, name


def test_valid_records_pass_and_invalid_fail_the_schemas() -> None:
    """An editor using the schemas agrees with the validator on the fixtures."""
    jsonschema = pytest.importorskip("jsonschema")
    schemas = _schemas()
    for path in sorted(VALID_KB.rglob("*.yaml")):
        schema = schemas[f"{vocab.KINDS[path.parent.name]}.schema.json"]
        jsonschema.Draft7Validator.check_schema(schema)
        value = parse_yaml(path.read_bytes()).value
        assert list(jsonschema.Draft7Validator(schema).iter_errors(value)) == [], path
    agent = jsonschema.Draft7Validator(schemas["agent.schema.json"])
    errors = list(agent.iter_errors({"id": "Ketamine", "name": "K", "summary": "s", "nmae": 1}))
    assert {e.validator for e in errors} == {"pattern", "additionalProperties"}
