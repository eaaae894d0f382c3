"""The committed JSON Schemas refuse what the validator refuses, where JSON Schema can say it:
the quote's word limit, a journal for peer-reviewed sources, months and days in range."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from ketakb import vocab
from ketakb.models import ADAPTERS
from ketakb.pipeline.parse import parse_yaml
from tests.conftest import VALID_KB

COMMITTED = Path(__file__).resolve().parent.parent / "schemas"


def schema_errors(kind: str, record: dict[str, Any]) -> list[str]:
    schema = json.loads((COMMITTED / f"{kind}.schema.json").read_text(encoding="utf-8"))
    return [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(record)]


def model_accepts(kind: str, record: dict[str, Any]) -> bool:
    try:
        ADAPTERS[kind].validate_python(record)
    except ValidationError:
        return False
    return True


def fixture(relative: str) -> dict[str, Any]:
    value: dict[str, Any] = parse_yaml((VALID_KB / relative).read_bytes()).value
    return value


def with_quote(quote: str) -> dict[str, Any]:
    ketamine = copy.deepcopy(fixture("agents/ketamine.yaml"))
    ketamine["claims"][0]["evidence"][0]["quote"] = quote
    return ketamine


@pytest.mark.parametrize(("words", "accepted"), [
    (1, True), (vocab.QUOTE_MAX_WORDS, True), (vocab.QUOTE_MAX_WORDS + 1, False), (40, False)])
def test_the_quote_word_limit_is_in_the_schema(words: int, accepted: bool) -> None:
    record = with_quote("  " + " \n ".join(f"w{n}" for n in range(words)) + " ")
    assert model_accepts("agent", record) is accepted
    assert (schema_errors("agent", record) == []) is accepted


def test_a_forty_word_quote_fails_the_schema_as_the_validator() -> None:
    forty = " ".join(["ketamine"] * 40)
    assert not model_accepts("agent", with_quote(forty))
    assert any("does not match" in e for e in schema_errors("agent", with_quote(forty)))


@pytest.mark.parametrize("kind", ["journal-article", "review", "clinical-trial"])
def test_a_peer_reviewed_source_needs_a_journal_in_the_schema(kind: str) -> None:
    source = {**fixture("sources/berman-2000.yaml"), "type": kind}
    del source["journal"]
    assert not model_accepts("source", source)
    assert "'journal' is a required property" in schema_errors("source", source)
    assert schema_errors("source", {**source, "type": "web-page"}) == []


@pytest.mark.parametrize(("date", "accepted"), [
    ("2000", True), ("2000-12", True), ("2000-02-15", True), ("2000-13", False),
    ("2000-00", False), ("2000-02-32", False), ("2000-1-05", False)])
def test_dates_out_of_range_fail_the_schema(date: str, accepted: bool) -> None:
    source = {**fixture("sources/berman-2000.yaml"), "date": date}
    assert model_accepts("source", source) is accepted
    assert (schema_errors("source", source) == []) is accepted
