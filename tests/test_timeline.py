"""Dated regulatory actions: the `timeline` query and command, their order, filters, shape
and exit codes; the actions in `fmt`, the exports and the site; and the cached re-validation
of their references, which must agree with a full run."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from ketakb import bundled_kb, open_kb, vocab
from ketakb.authoring.canonical import canonical_text
from ketakb.cli import app
from ketakb.pipeline.validation import validate_kb
from ketakb.shapes import REGULATORY_KEYS
from tests.test_incremental import _agree, _record, _write

runner = CliRunner()
ACTION_KEYS = {"agent", *REGULATORY_KEYS}
ACTION = {"action": "approved", "date": "2019-03-05", "agency": "FDA", "jurisdiction": "US",
          "product": "Spravato nasal spray", "source": "label-2019",
          "indication": "major-depressive-disorder"}


def run(*args: str, kb: Path | None = None) -> Result:
    return runner.invoke(app, [*args, "--kb", str(kb or bundled_kb())])


def test_the_bundled_timeline_is_in_date_order_with_every_key() -> None:
    with open_kb(bundled_kb()) as kb:
        actions = kb.timeline()
    assert actions, "the bundled KB records regulatory actions"
    assert all(set(a) == ACTION_KEYS for a in actions)
    keys = [(a["date"], a["agency"], a["product"]) for a in actions]
    assert keys == sorted(keys)
    assert {a["action"] for a in actions} <= set(vocab.REGULATORY_ACTIONS)
    # every FDA action on esketamine recorded, with its date
    fda = [(a["date"], a["action"]) for a in actions
           if a["agent"] == "esketamine" and a["agency"] == "FDA"]
    assert ("2019-03-05", "approved") in fda and ("2025-01", "label-change") in fda


def test_filters_ignore_case_and_combine() -> None:
    with open_kb(bundled_kb()) as kb:
        everything = kb.timeline()
        us = kb.timeline(jurisdiction="us")
        dea = kb.timeline("ketamine", agency="dea", jurisdiction="US")
        assert kb.timeline("esketamine", agency="DEA") == []
    assert us == [a for a in everything if a["jurisdiction"] == "US"]
    assert [(a["action"], a["schedule"]) for a in dea] == [("scheduled", "III")]


def test_the_command_prints_a_table_json_and_exits_1_on_nothing() -> None:
    table = run("timeline", "Spravato")  # a synonym names the agent
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[0].split()[:5] == ["date", "agent", "agency", "where",
                                                        "action"]
    assert {line.split()[1] for line in table.stdout.splitlines()[1:]} == {"esketamine"}
    found = json.loads(run("timeline", "--agency", "FDA", "-f", "json").stdout)
    assert found and all(a["agency"] == "FDA" for a in found)
    nothing = run("timeline", "--jurisdiction", "nowhere")
    assert nothing.exit_code == 1
    assert "no regulatory actions match" in nothing.stderr
    assert run("timeline", "no-such-agent").exit_code == 1


def test_a_kb_without_actions_has_an_empty_timeline(kb_copy: Path) -> None:
    result = run("timeline", "-f", "json", kb=kb_copy)
    assert result.exit_code == 1
    assert json.loads(result.stdout) == []


def _with_actions(kb: Path, *actions: dict[str, Any]) -> None:
    path = kb / "agents" / "ketamine.yaml"
    record = _record(path)
    record["regulatory"] = list(actions)
    _write(path, record)


def test_ties_sort_by_agency_then_product_and_years_before_days(kb_copy: Path) -> None:
    _with_actions(kb_copy, {**ACTION, "agency": "MHRA", "jurisdiction": "UK"},
                  {**ACTION, "product": "B"}, {**ACTION, "product": "A"},
                  {**ACTION, "date": "2019"})
    assert validate_kb(kb_copy).ok(strict=False)
    with open_kb(kb_copy) as kb:
        order = [(a["date"], a["agency"], a["product"]) for a in kb.timeline()]
    assert order == [("2019", "FDA", "Spravato nasal spray"), ("2019-03-05", "FDA", "A"),
                     ("2019-03-05", "FDA", "B"),
                     ("2019-03-05", "MHRA", "Spravato nasal spray")]


def test_fmt_writes_actions_in_model_order() -> None:
    record = {"id": "x", "name": "X", "summary": "s", "regulatory": [
        {"source": "s", "product": "p", "jurisdiction": "US", "agency": "FDA",
         "date": "1970", "action": "approved", "notes": None}]}
    text = canonical_text(record, "agent")
    assert "\n".join(text.splitlines()[3:10]) == """regulatory:
  - action: approved
    date: "1970"
    agency: FDA
    jurisdiction: US
    product: p
    source: s"""


def test_exports_carry_the_actions(tmp_path: Path, kb_copy: Path) -> None:
    _with_actions(kb_copy, {**ACTION, "quote": "x", "schedule": None})
    for fmt, out in (("csv", "csv"), ("sqlite", "kb.sqlite"), ("json", "kb.json")):
        result = run("export", "-f", fmt, "-o", str(tmp_path / out), kb=kb_copy)
        assert result.exit_code == 0, result.output
    with (tmp_path / "csv" / "regulatory.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["agent"], r["position"], r["date"], r["indication"]) for r in rows] == [
        ("ketamine", "1", "2019-03-05", "major-depressive-disorder")]
    db = sqlite3.connect(tmp_path / "kb.sqlite")
    assert db.execute("SELECT agent, action, source FROM regulatory").fetchall() == [
        ("ketamine", "approved", "label-2019")]
    document = json.loads((tmp_path / "kb.json").read_text(encoding="utf-8"))
    agent = next(r for r in document["records"] if r["id"] == "ketamine")
    assert agent["regulatory"][0]["product"] == "Spravato nasal spray"


def test_the_site_shows_an_agents_timeline(tmp_path: Path) -> None:
    assert run("site", "-o", str(tmp_path / "site")).exit_code == 0
    page = (tmp_path / "site" / "records" / "esketamine.html").read_text(encoding="utf-8")
    assert "Regulatory timeline" in page and "2019-12-18" in page
    overall = (tmp_path / "site" / "timeline.html").read_text(encoding="utf-8")
    assert "1999-08-12" in overall


# -- cached re-validation ------------------------------------------------------------------


@pytest.fixture
def acting(kb_copy: Path, tmp_path: Path) -> Callable[[], list[str]]:
    """The fixture KB with an action on ketamine, validated once (so the next run is
    scoped); returns a function that re-validates with and without the cache, checks they
    agree and gives the codes."""
    archives = tmp_path / "archives"
    shutil.copytree(Path(__file__).parent / "data" / "archives", archives)
    _with_actions(kb_copy, ACTION)
    assert validate_kb(kb_copy, sources_dir=archives).ok(strict=False)
    return lambda: _agree(kb_copy, archives)


def test_a_removed_source_is_seen_by_the_action_citing_it(
        acting: Callable[[], list[str]], kb_copy: Path) -> None:
    label = kb_copy / "sources" / "label-2019.yaml"
    text = label.read_text(encoding="utf-8")
    label.unlink()
    assert "KB032" in acting()
    label.write_text(text, encoding="utf-8")
    assert "KB032" not in acting()


def test_a_condition_that_changes_kind_is_seen_by_the_indication(
        acting: Callable[[], list[str]], kb_copy: Path) -> None:
    condition = kb_copy / "conditions" / "major-depressive-disorder.yaml"
    moved = kb_copy / "effects" / "major-depressive-disorder.yaml"
    record = yaml.safe_load(condition.read_text(encoding="utf-8"))
    condition.unlink()
    _write(moved, {**record, "type": "therapeutic"})
    assert "KB033" in acting()
    moved.unlink()
    _write(condition, record)
    assert "KB033" not in acting()


def test_a_source_only_an_action_cites_is_not_unused(
        acting: Callable[[], list[str]], kb_copy: Path) -> None:
    _write(kb_copy / "sources" / "fda-notice.yaml",
           {"id": "fda-notice", "title": "A notice", "type": "regulatory-notice",
            "design": "regulatory-decision"})
    assert "KB050" in acting()
    _with_actions(kb_copy, {**ACTION, "source": "fda-notice"})
    assert "KB050" not in acting()


@pytest.mark.parametrize("seed", [5, 6])
def test_cached_revalidation_with_actions_equals_a_full_run(tmp_path: Path, seed: int) -> None:
    """The random edit series of `test_incremental`, on a generated KB whose agents carry
    regulatory actions: their sources and indications are edited too."""
    from tests.test_incremental import Editor, _all, generate

    generate.generate(80, tmp_path / "g", errors=10, seed=seed)
    root, archives = tmp_path / "g" / "kb", tmp_path / "g" / "archives"
    sources = sorted(p.stem for p in (root / "sources").glob("*.yaml"))
    conditions = sorted(p.stem for p in (root / "conditions").glob("*.yaml"))
    for n, path in enumerate(sorted((root / "agents").glob("*.yaml"))[:4]):
        record = _record(path)
        if isinstance(record, dict) and "id" in record:
            record["regulatory"] = [{**ACTION, "source": sources[n],
                                     "indication": conditions[n % len(conditions)]}]
            _write(path, record)
    editor = Editor(root, archives, seed, breaks=True)
    assert _all(root, archives, True) == _all(root, archives, False)
    history = []
    for _ in range(30):
        history.append(editor.edit())
        assert _all(root, archives, True) == _all(root, archives, False), history
