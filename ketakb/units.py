"""The measures a figure may state, the units each allows, and how values convert.

Pure data and functions with no third-party import, so the query path stays light. One home
for these rules: the model checks a figure's unit with `unit_problem`, every JSON output adds
`normalised` with `normalise`, and CONTRIBUTING's table of measures is `measures_table()`
(a test keeps the two equal).

Units are written one way (`CANONICAL_UNITS`; time in UCUM codes: s, min, h, d, wk). The micro
sign may be typed as `u` or as the Greek letter mu (U+03BC), which looks the same: `uM`, `μM`
and `µM` (U+00B5) are one unit, shown as `µM`. A rating-scale difference is written in the
scale's points, `MADRS points`, for a scale of `SCALES`. Unitless measures (ratios,
standardised effect sizes, pKi …) take no `unit`.

Values convert within a dimension to its base unit: molar concentrations to nM, mass
concentrations to ng/mL, time to h, volume to L (or L/kg), clearance to L/h (or L/h/kg),
doses to mg, mg/kg, mg/kg/h or mg/d. Binding and potency measures also convert between a
concentration and its negative decimal logarithm in mol/L: Ki 10 nM ⟷ pKi 8, so `ki`, `kd`,
`ic50` and `ec50` in any molar unit and `pki` … `pec50` compare in one table. Percentages,
counts and scale points have nothing to convert.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # shapes imports this module; the types only
    from ketakb.shapes import FigureExtras, Quantity

#: Groups of measures, in the order tables list them.
GROUPS = ("binding", "pharmacokinetics", "clinical", "biology")
#: What a figure's `qualifier` may say about its value; a p-value flips `<` and `>`.
QUALIFIERS = ("<", ">", "≈")
_FLIPPED = {"<": ">", ">": "<", "≈": "≈"}

#: Rating scales whose points a `mean_difference` or `change_from_baseline` is written in.
SCALES = ("BDI", "BPRS", "CADSS", "CAPS", "C-SSRS", "HAM-A", "HAM-D", "LSAS", "MADRS", "NRS",
          "PCL", "QIDS-SR", "SSI", "VAS", "YMRS")


@dataclass(frozen=True)
class Unit:
    """A unit and what one of it is in its dimension's base unit (None: nothing to convert)."""

    name: str
    base: str | None = None
    factor: float = 1.0


def _units(base: str | None, **factors: float) -> dict[str, Unit]:
    return {name: Unit(name, base, factor) for name, factor in factors.items()}


_MOLAR = _units("nM", **{"pM": 1e-3, "nM": 1.0, "µM": 1e3, "mM": 1e6, "M": 1e9})
_MASS_CONCENTRATION = _units("ng/mL", **{"pg/mL": 1e-3, "ng/mL": 1.0, "µg/mL": 1e3,
                                         "mg/L": 1e3, "mg/mL": 1e6})
_TIME = _units("h", s=1 / 3600, min=1 / 60, h=1.0, d=24.0, wk=168.0)
_PERCENT = {"%": Unit("%")}


def _times(*names: str) -> dict[str, Unit]:
    return {name: _TIME[name] for name in names}


_VOLUME = {**_units("L", mL=1e-3, L=1.0), **_units("L/kg", **{"mL/kg": 1e-3, "L/kg": 1.0})}
_CLEARANCE = {**_units("L/h", **{"mL/min": 0.06, "L/min": 60.0, "L/h": 1.0}),
              **_units("L/h/kg", **{"mL/min/kg": 0.06, "L/h/kg": 1.0})}
_DOSE = {**_units("mg", **{"µg": 1e-3, "mg": 1.0, "g": 1e3}),
         **_units("mg/kg", **{"µg/kg": 1e-3, "mg/kg": 1.0}),
         **_units("mg/kg/h", **{"µg/kg/min": 0.06, "mg/kg/min": 60.0, "mg/kg/h": 1.0}),
         **_units("mg/d", **{"mg/d": 1.0, "g/d": 1e3})}
_PATIENTS = {"patients": Unit("patients"), "participants": Unit("participants")}
#: "<scale> points": a placeholder in `Measure.units` for every scale of SCALES.
SCALE_POINTS = "<scale> points"


@dataclass(frozen=True)
class Measure:
    """A kind of figure: its group, what it is, and the units it may be written in.

    `units` empty: unitless. `p_form` links a binding concentration (`ki`) and its negative
    logarithm (`pki`) both ways, so each normalises to the other.
    """

    name: str
    group: str
    meaning: str
    units: Mapping[str, Unit]
    p_form: str | None = None
    concentration: str | None = None


def _binding(name: str, meaning: str) -> list[Measure]:
    return [Measure(name, "binding", meaning, _MOLAR, p_form=f"p{name}"),
            Measure(f"p{name}", "binding", f"−log10 of the {meaning} in mol/L", {},
                    concentration=name)]


_PLAIN: dict[str, Unit] = {}
_MEASURE_LIST = (
    *_binding("ki", "inhibition constant from a binding assay"),
    *_binding("kd", "dissociation constant"),
    *_binding("ic50", "concentration giving half-maximal inhibition"),
    *_binding("ec50", "concentration giving half-maximal effect"),
    Measure("bioavailability", "pharmacokinetics", "fraction of a dose reaching the "
            "circulation", _PERCENT),
    Measure("half_life", "pharmacokinetics", "elimination half-life", _times("min", "h", "d")),
    Measure("clearance", "pharmacokinetics", "volume of plasma cleared per unit time",
            _CLEARANCE),
    Measure("volume_of_distribution", "pharmacokinetics", "apparent volume of distribution",
            _VOLUME),
    Measure("cmax", "pharmacokinetics", "peak plasma concentration",
            {**_MASS_CONCENTRATION, **_MOLAR}),
    Measure("tmax", "pharmacokinetics", "time to peak plasma concentration",
            _times("min", "h")),
    Measure("protein_binding", "pharmacokinetics", "fraction bound to plasma proteins",
            _PERCENT),
    Measure("auc_ratio", "pharmacokinetics", "exposure (area under the concentration curve) "
            "with an interacting drug or condition, as a multiple of exposure without it",
            _PLAIN),
    Measure("auc_change", "pharmacokinetics", "change in exposure (area under the "
            "concentration curve) against the reference condition, in percent (negative: "
            "lower)", _PERCENT),
    Measure("response_rate", "clinical", "share of patients who respond (the definition says "
            "how response was measured)", _PERCENT),
    Measure("remission_rate", "clinical", "share of patients who remit", _PERCENT),
    Measure("cumulative_remission_rate", "clinical", "share who remitted at any of several "
            "successive treatment steps", _PERCENT),
    Measure("incidence", "clinical", "share of patients with an event", _PERCENT),
    Measure("odds_ratio", "clinical", "odds of the outcome against the comparator", _PLAIN),
    Measure("risk_ratio", "clinical", "risk of the outcome against the comparator", _PLAIN),
    Measure("hazard_ratio", "clinical", "hazard of the outcome against the comparator",
            _PLAIN),
    Measure("standardised_mean_difference", "clinical", "difference of means in standard "
            "deviations, estimator not stated", _PLAIN),
    Measure("cohens_d", "clinical", "standardised mean difference, Cohen's d", _PLAIN),
    Measure("hedges_g", "clinical", "standardised mean difference, Hedges' g", _PLAIN),
    Measure("mean_difference", "clinical", "difference of means against the comparator, in "
            "a rating scale's points", {SCALE_POINTS: Unit(SCALE_POINTS)}),
    Measure("change_from_baseline", "clinical", "mean change of a rating scale from baseline "
            "in one arm", {SCALE_POINTS: Unit(SCALE_POINTS)}),
    Measure("nnt", "clinical", "number needed to treat for one more response", _PATIENTS),
    Measure("nnh", "clinical", "number needed to treat for one more harm", _PATIENTS),
    Measure("participants", "clinical", "how many took part", _PATIENTS),
    Measure("responders", "clinical", "how many responded (`n` says of how many)", _PATIENTS),
    Measure("dose", "clinical", "amount given", _DOSE),
    Measure("onset", "clinical", "time until the effect appears", _TIME),
    Measure("duration", "clinical", "how long the effect lasts", _TIME),
    Measure("neuron_count", "biology", "number of neurons", {"neurons": Unit("neurons")}),
)
MEASURES: dict[str, Measure] = {m.name: m for m in _MEASURE_LIST}
#: Every canonical unit spelling any measure allows (the scale placeholder expanded).
CANONICAL_UNITS = frozenset(
    u for m in _MEASURE_LIST for u in m.units if u != SCALE_POINTS
) | {f"{scale} points" for scale in SCALES}


def measures_named(name: str) -> list[str]:
    """The measures a name stands for: a measure, or every measure of a group (`binding`)."""
    if name in GROUPS:
        return [m.name for m in _MEASURE_LIST if m.group == name]
    return [name] if name in MEASURES else []


def canonical_unit(unit: str) -> str:
    """The one spelling of `unit`: `u` or Greek mu as the micro sign (`uM` → `µM`)."""
    spelled = unit.replace("μ", "µ")
    if spelled.startswith("u") and "µ" + spelled[1:] in CANONICAL_UNITS:
        return "µ" + spelled[1:]
    if "/u" in spelled and spelled.replace("/u", "/µ") in CANONICAL_UNITS:
        return spelled.replace("/u", "/µ")
    return spelled


def allowed_units(measure: str) -> list[str]:
    """The units `measure` may be written in, as a curator reads them (empty: unitless)."""
    return [f"{SCALE_POINTS} (scale: {', '.join(SCALES)})" if unit == SCALE_POINTS else unit
            for unit in MEASURES[measure].units]


def unit_problem(measure: str, unit: str | None) -> str | None:
    """Why `unit` does not fit `measure`, or None when it does (or the measure is unknown,
    which the model reports on its own)."""
    known = MEASURES.get(measure)
    if known is None:
        return None
    if not known.units:
        return None if unit is None else f"{measure} has no unit, but '{unit}' is given"
    if unit is None:
        return f"{measure} needs a unit"
    if _unit_of(known, unit) is None:
        return f"'{unit}' is not a unit of {measure}"
    return None


def _unit_of(measure: Measure, unit: str) -> Unit | None:
    spelled = canonical_unit(unit)
    if SCALE_POINTS in measure.units:
        scale, _, points = spelled.rpartition(" ")
        return measure.units[SCALE_POINTS] if points == "points" and scale in SCALES else None
    return measure.units.get(spelled)


def unit_schema() -> list[dict[str, Any]]:
    """The unit rule as JSON Schema (draft-07) `if`/`then` pairs, one a measure, so an editor
    flags a unit that does not fit as the validator does (KB060)."""
    rules: list[dict[str, Any]] = []
    for measure in _MEASURE_LIST:
        unit: dict[str, Any]
        if not measure.units:
            then: dict[str, Any] = {"not": {"required": ["unit"]}}
        else:
            if SCALE_POINTS in measure.units:
                unit = {"pattern": "^(" + "|".join(SCALES) + ") points$"}  # letters and hyphens
            else:
                unit = {"enum": sorted({spelling for name in measure.units
                                        for spelling in _spellings(name)})}
            then = {"required": ["unit"], "properties": {"unit": unit}}
        rules.append({"if": {"properties": {"measure": {"const": measure.name}}}, "then": then})
    return rules


def _spellings(unit: str) -> list[str]:
    """A unit as it may be written: with the micro sign, the Greek mu or `u`."""
    return [unit, unit.replace("µ", "μ"), unit.replace("µ", "u")] if "µ" in unit else [unit]


def _significant(value: float) -> float:
    """Six significant digits: enough for any measurement, and no float noise (1e-3 × 3)."""
    return float(f"{value:.6g}")


_RANGE_KEYS = ("value", "lower", "upper", "ci_lower", "ci_upper")
#: Which end a key becomes on the logarithmic scale, where the order reverses.
_P_KEY = {"value": "value", "lower": "upper", "upper": "lower", "ci_lower": "ci_upper",
          "ci_upper": "ci_lower"}


def normalise(figure: Mapping[str, Any]) -> FigureExtras:
    """The keys a figure's JSON gains: `normalised` in the base unit where its unit converts,
    and for binding measures `p_scale` too, each {qualifier, value, lower, upper, ci_lower,
    ci_upper} (null where the figure has none) with `unit` or `measure`."""
    measure = MEASURES.get(figure["measure"])
    if measure is None:
        return {}
    given = {key: figure[key] for key in _RANGE_KEYS if figure.get(key) is not None}
    qualifier = figure.get("qualifier")
    if measure.concentration is not None:  # pKi p: the Ki is 10^(9 - p) nM
        nanomolar = {_P_KEY[key]: 10 ** (9 - value) for key, value in given.items()}
        return {"normalised": {**_quantity(nanomolar, _flipped(qualifier)), "unit": "nM"},
                "p_scale": {**_quantity(given, qualifier, 2), "measure": measure.name}}
    unit = _unit_of(measure, figure["unit"]) if figure.get("unit") else None
    if unit is None or unit.base is None:
        return {}
    converted = {key: value * unit.factor for key, value in given.items()}
    extra: FigureExtras = {"normalised": {**_quantity(converted, qualifier),
                                          "unit": unit.base}}
    if measure.p_form is not None and all(value > 0 for value in converted.values()):
        logs = {_P_KEY[key]: 9 - math.log10(value) for key, value in converted.items()}
        extra["p_scale"] = {**_quantity(logs, _flipped(qualifier), 2),
                            "measure": measure.p_form}
    return extra


def _flipped(qualifier: str | None) -> str | None:
    """A bound on a concentration is the opposite bound on its negative logarithm."""
    return None if qualifier is None else _FLIPPED[qualifier]


def _quantity(values: Mapping[str, float], qualifier: str | None,
              decimals: int | None = None) -> Quantity:
    """{qualifier, value, lower, upper, ci_lower, ci_upper}: six significant digits, or
    `decimals` places (p-values, as GtoPdb gives them)."""
    def number(value: float | None) -> float | None:
        if value is None:
            return None
        return round(float(value), decimals) if decimals is not None else _significant(value)

    return {"qualifier": qualifier, "value": number(values.get("value")),
            "lower": number(values.get("lower")), "upper": number(values.get("upper")),
            "ci_lower": number(values.get("ci_lower")),
            "ci_upper": number(values.get("ci_upper"))}


def potency(figure: Mapping[str, Any]) -> float | None:
    """A binding figure's p-value (of its value, else the middle of its range), to sort by:
    higher is more potent. None for other measures."""
    scale = figure.get("p_scale") or normalise(figure).get("p_scale")
    if not scale:
        return None
    if scale["value"] is not None:
        return float(scale["value"])
    lower, upper = scale["lower"], scale["upper"]
    return None if lower is None or upper is None else (lower + upper) / 2


def value_text(figure: Mapping[str, Any], digits: int = 6) -> str:
    """The value as written, to `digits` significant digits: `≈70`, `<10`, `10–12`,
    `0.48 (95% CI 0.2–0.7)`; a normalised or p-scale quantity reads the same."""
    def number(key: str) -> str:  # positional ("1140000", not "1.14e+06") unless huge or tiny
        rounded = Decimal(f"{figure[key]:.{digits}g}").normalize()
        if rounded and not Decimal("1e-6") <= abs(rounded) < Decimal("1e9"):
            return f"{float(rounded):g}"
        return f"{rounded:f}"

    def span(low: str, high: str) -> str:  # "-11.2 to -4.6", not "-11.2–-4.6"
        dash = " to " if figure[low] < 0 or figure[high] < 0 else "–"
        return f"{number(low)}{dash}{number(high)}"

    text = ""
    if figure.get("value") is not None:
        text = (figure.get("qualifier") or "") + number("value")
    if figure.get("lower") is not None:
        text = f"{text} (range {span('lower', 'upper')})" if text else span("lower", "upper")
    if figure.get("ci_lower") is not None:
        level = f"{figure['ci_level']:g}% " if figure.get("ci_level") else ""
        text += f" ({level}CI {span('ci_lower', 'ci_upper')})"
    return text


def compared_with(figure: Mapping[str, Any]) -> str:
    """The comparator arm, with its own value when the figure gives it: `placebo: 3 %`."""
    comparator = figure.get("comparator") or ""
    if comparator and figure.get("comparator_value") is not None:
        amount = value_text({"value": figure["comparator_value"]})
        return f"{comparator}: {' '.join(t for t in (amount, figure.get('unit')) if t)}"
    return str(comparator)


def measured_in(figure: Mapping[str, Any]) -> str:
    """Who or what a figure was measured in: the population, else species and assay."""
    return str(figure.get("population") or ", ".join(
        str(figure[key]) for key in ("species", "assay") if figure.get(key)))


def measures_table() -> str:
    """CONTRIBUTING's table of measures and units, in Markdown: generated from `MEASURES`."""
    lines = ["| group | measure | units | meaning |", "|---|---|---|---|"]
    for group in GROUPS:
        for measure in (m for m in _MEASURE_LIST if m.group == group):
            units = ", ".join(f"`{u}`" for u in measure.units) or "none (unitless)"
            lines.append(f"| {group} | `{measure.name}` | {units} | {measure.meaning} |")
    return "\n".join(lines) + "\n"
