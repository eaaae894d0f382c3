"""Typed figures: the vocabulary's conversions, the unit check, and the `figures` view on the
typed-figures fixture (every group of measures, ranges, intervals, qualifiers)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketakb import units
from ketakb.cli import app
from tests.conftest import DATA, VALID_KB

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture
def typed_kb(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    shutil.copytree(VALID_KB, kb)
    shutil.copytree(DATA / "valid" / "typed-figures", kb, dirs_exist_ok=True)
    return kb


@pytest.mark.parametrize(("figure", "normalised", "p_value"), [
    ({"measure": "ki", "value": 10, "unit": "nM"}, 10.0, 8.0),
    ({"measure": "ki", "value": 0.5, "unit": "uM"}, 500.0, 6.3),
    ({"measure": "kd", "value": 2, "unit": "μM"}, 2000.0, 5.7),
    ({"measure": "ic50", "value": 1, "unit": "mM"}, 1e6, 3.0),
    ({"measure": "pki", "value": 8}, 10.0, 8.0),
    ({"measure": "pec50", "value": 6.5}, 316.228, 6.5),
])
def test_binding_measures_compare_in_nm_and_p(figure: dict[str, object], normalised: float,
                                              p_value: float) -> None:
    extra = units.normalise(figure)
    assert extra["normalised"]["value"] == normalised
    assert extra["normalised"]["unit"] == "nM"
    assert extra["p_scale"]["value"] == p_value


def test_a_bound_flips_on_the_log_scale_and_a_range_swaps_ends() -> None:
    extra = units.normalise({"measure": "ki", "qualifier": "<", "value": 10, "lower": 1,
                             "upper": 100, "unit": "nM"})
    assert extra["p_scale"] == {"measure": "pki", "qualifier": ">", "value": 8.0,
                                "lower": 7.0, "upper": 9.0, "ci_lower": None, "ci_upper": None}
    back = units.normalise({"measure": "pki", "qualifier": ">", "value": 8})
    assert back["normalised"]["qualifier"] == "<"


@pytest.mark.parametrize(("measure", "value", "unit", "expected"), [
    ("half_life", 150, "min", (2.5, "h")),
    ("duration", 2, "wk", (336.0, "h")),
    ("clearance", 20, "mL/min/kg", (1.2, "L/h/kg")),
    ("clearance", 1000, "mL/min", (60.0, "L/h")),
    ("volume_of_distribution", 3000, "mL/kg", (3.0, "L/kg")),
    ("cmax", 0.2, "ug/mL", (200.0, "ng/mL")),
    ("dose", 15, "µg/kg/min", (0.9, "mg/kg/h")),
])
def test_units_convert_to_their_dimensions_base(measure: str, value: float, unit: str,
                                                expected: tuple[float, str]) -> None:
    normalised = units.normalise({"measure": measure, "value": value, "unit": unit})
    assert (normalised["normalised"]["value"], normalised["normalised"]["unit"]) == expected
    assert "p_scale" not in normalised


def test_percentages_counts_and_ratios_have_nothing_to_convert() -> None:
    for figure in ({"measure": "response_rate", "value": 70, "unit": "%"},
                   {"measure": "participants", "value": 18, "unit": "patients"},
                   {"measure": "odds_ratio", "value": 2.1},
                   {"measure": "mean_difference", "value": -7, "unit": "MADRS points"}):
        assert units.normalise(figure) == {}


@pytest.mark.parametrize(("measure", "unit", "fits"), [
    ("ki", "nM", True), ("ki", "uM", True), ("ki", "μM", True), ("ki", "ng/mL", False),
    ("pki", None, True), ("pki", "nM", False), ("odds_ratio", None, True),
    ("response_rate", "%", True), ("response_rate", "percent", False),
    ("response_rate", None, False), ("mean_difference", "HAM-D points", True),
    ("mean_difference", "points", False), ("mean_difference", "XYZ points", False),
    ("cmax", "nM", True), ("cmax", "ug/mL", True), ("dose", "mg/kg", True),
])
def test_unit_problem(measure: str, unit: str | None, fits: bool) -> None:
    assert (units.unit_problem(measure, unit) is None) is fits


def test_every_measure_and_unit_is_documented_in_contributing() -> None:
    """CONTRIBUTING's table is `measures_table()` verbatim, so docs and vocabulary agree."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert units.measures_table() in text


def test_value_text_is_positional_but_for_huge_and_tiny_numbers() -> None:
    """A µM value in nM reads 1140000, not 1.14e+06; 10^11 neurons stay 1e+11."""
    assert [units.value_text({"value": v}) for v in (1140000.0, 119.00000000000001, 1e11,
                                                     2e-7, 0.0)] == [
        "1140000", "119", "1e+11", "2e-07", "0"]
    assert units.value_text({"value": 12050.0}, digits=4) == "12050"


def test_value_text_reads_as_reported() -> None:
    assert units.value_text({"value": 70.0, "qualifier": "≈"}) == "≈70"
    assert units.value_text({"lower": 10.0, "upper": 12.0}) == "10–12"
    assert units.value_text({"value": -7.9, "ci_lower": -11.2, "ci_upper": -4.6,
                             "ci_level": 95}) == "-7.9 (95% CI -11.2 to -4.6)"


def test_figures_view_sorts_affinities_by_potency(typed_kb: Path) -> None:
    result = runner.invoke(app, ["figures", "ketamine", "--measure", "binding", "--kb",
                                 str(typed_kb), "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["figure"]["measure"] for r in rows] == ["ki", "pki", "ic50"]
    assert [r["figure"]["p_scale"]["value"] for r in rows] == [6.3, 6.2, 5.68]
    assert set(rows[0]) == {"claim", "status", "subject", "predicate", "object", "figure"}
    assert rows[0]["figure"]["normalised"]["unit"] == "nM"


def test_figures_table_shows_reported_normalised_and_p(typed_kb: Path) -> None:
    result = runner.invoke(app, ["figures", "--measure", "ki", "--kb", str(typed_kb)])
    assert result.exit_code == 0, result.output
    line = result.stdout.splitlines()[1]
    assert re.search(r"ki\s+<0\.5 uM\s+<500 nM\s+pki >6\.3\s+rat, \[3H\]MK-801", line), line


def test_figures_filters_by_target_and_exits_1_when_nothing_matches(typed_kb: Path) -> None:
    kb = ["--kb", str(typed_kb)]
    assert runner.invoke(app, ["figures", "ketamine", "--target", "nmda-receptor", *kb]
                         ).exit_code == 1
    rows = json.loads(runner.invoke(app, ["figures", "--target", "major-depressive-disorder",
                                          "--measure", "clinical", *kb, "-f", "json"]).stdout)
    assert {r["figure"]["measure"] for r in rows} == {"change_from_baseline", "mean_difference",
                                                      "odds_ratio", "duration", "incidence"}


def test_figures_filters_by_route_and_the_table_shows_it(typed_kb: Path) -> None:
    kb = ["--kb", str(typed_kb)]
    rows = json.loads(runner.invoke(app, ["figures", "--route", "intravenous", *kb, "-f",
                                          "json"]).stdout)
    assert [(r["figure"]["measure"], r["figure"]["route"]) for r in rows] == [
        ("clearance", "intravenous")]
    table = runner.invoke(app, ["figures", "--measure", "pharmacokinetics", *kb]).stdout
    assert re.search(r"half_life\s+2\.5 h\s+2\.5 h\s+oral\s+berman-2000", table), table
    unknown = runner.invoke(app, ["figures", "--route", "nasal", *kb])
    assert unknown.exit_code == 2
    assert "did you mean 'intranasal'" in unknown.output


def test_an_incidence_shows_the_comparator_arm_beside_it(typed_kb: Path) -> None:
    kb = ["--kb", str(typed_kb)]
    table = runner.invoke(app, ["figures", "--measure", "incidence", *kb]).stdout
    assert re.search(r"incidence\s+41 %.*major depression\s+placebo: 9 %\s+berman-2000",
                     table), table
    shown = runner.invoke(app, ["show", "ketamine-treats-depression", *kb]).stdout
    assert "incidence 41 % (major depression; vs placebo: 9 %; berman-2000)" in shown


def test_figures_unknown_measure_is_a_usage_error(typed_kb: Path) -> None:
    result = runner.invoke(app, ["figures", "--measure", "kii", "--kb", str(typed_kb)])
    assert result.exit_code == 2
    assert "did you mean 'ki'" in result.output


def test_show_json_figures_gain_normalised_values(typed_kb: Path) -> None:
    result = runner.invoke(app, ["show", "ketamine", "--kb", str(typed_kb), "-f", "json"])
    figures = [f for c in json.loads(result.stdout)["claims"] for f in c["figures"]]
    clearance = next(f for f in figures if f["measure"] == "clearance")
    assert clearance["unit"] == "mL/min/kg" and clearance["value"] == 15
    assert clearance["normalised"]["value"] == 0.9


@pytest.mark.parametrize(("figure", "valid"), [
    ({"measure": "ki", "value": 1, "unit": "uM"}, True),
    ({"measure": "ki", "value": 1, "unit": "μM"}, True),
    ({"measure": "ki", "value": 1, "unit": "mg"}, False),
    ({"measure": "pki", "value": 7}, True),
    ({"measure": "pki", "value": 7, "unit": "nM"}, False),
    ({"measure": "response_rate", "value": 70, "population": "p"}, False),
    ({"measure": "mean_difference", "value": -3, "unit": "C-SSRS points", "population": "p"},
     True),
    ({"measure": "mean_difference", "value": -3, "unit": "points", "population": "p"}, False),
])
def test_the_committed_schema_checks_units_as_the_model_does(figure: dict[str, object],
                                                             valid: bool) -> None:
    """Editors flag a unit that does not fit its measure, as KB060 does."""
    import jsonschema
    from pydantic import ValidationError

    from ketakb.models import Figure

    figure = {**figure, "source": "berman-2000"}
    schema = json.loads((ROOT / "schemas" / "agent.schema.json").read_text(encoding="utf-8"))
    record = {"id": "a", "name": "A", "summary": "s", "claims": [{
        "id": "c", "subject": "a", "predicate": "treats", "object": "b", "statement": "s",
        "status": "hypothesis", "figures": [figure],
        "evidence": [{"source": "berman-2000", "stance": "supports"}]}]}
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(record))
    assert (not errors) is valid
    try:
        Figure.model_validate(figure)
    except ValidationError:
        assert not valid
    else:
        assert valid
