"""The athlete's markers, where each came from, the zone table and the threshold band."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.table import Table

from terskel.analysis.athlete import MARKERS, MIN_RUNS, LactateFit, Marker
from terskel.analysis.zones import ZoneModel, edge_rule, zone_edges

LABELS = {
    "max_hr": "max HR",
    "resting_hr": "resting HR",
    "lt1_hr": "LT1 HR",
    "lt2_hr": "LT2 HR",
    "threshold_speed_mps": "threshold pace",
    "threshold_power_w": "threshold power",
}

# Why a marker is unknown: estimates need MIN_RUNS runs carrying the stream.
UNKNOWN_NOTE = (
    f"not set, not synced; too few runs to estimate (needs {MIN_RUNS} with this stream "
    "within 90 days of the date; runs are then typed from themselves)"
)


def marker_text(name: str, value: float) -> str:
    """A marker's value in the unit a runner reads (bpm, m:ss/km, W)."""
    if name == "threshold_speed_mps":
        return pace_text(value)
    return f"{value:.0f} W" if name == "threshold_power_w" else f"{value:.0f} bpm"


def pace_text(speed_mps: float) -> str:
    """m/s as m:ss/km."""
    minutes, seconds = divmod(round(1000 / speed_mps), 60)
    return f"{minutes}:{seconds:02d}/km"


def markers_table(found: Mapping[str, Marker], day: dt.date) -> Table:
    """One row per marker: value, source, window or since, the evidence, confidence, rule."""
    table = Table(title=f"Markers in force on {day}", title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("marker", "value", "source", "conf.", "from"):
        table.add_column(name)
    for name in MARKERS:
        m = found.get(name)
        if m is None:
            note = "not set, not synced" if name == "resting_hr" else UNKNOWN_NOTE
            table.add_row(LABELS[name], "-", "unknown", "", note)
            continue
        conf = f"{m.confidence:.2f}" if m.confidence is not None else "given"
        table.add_row(LABELS[name], marker_text(name, m.value), m.source, conf, _origin(m))
    return table


def _origin(m: Marker) -> str:
    """Where a marker came from, in one cell: since / window, evidence, the rule."""
    if m.source != "estimate":
        since = f"since {m.since}" if m.since else ""
        return "; ".join(x for x in (since, m.note) if x)
    parts = [m.evidence, f"window {m.window}" if m.window else "", f"rule: {m.note}"]
    return "; ".join(x for x in parts if x)


def _values(found: Mapping[str, Marker], band: Mapping[str, Any]) -> dict[str, float | None]:
    """Marker values and the threshold band's numbers: what the zone edges are cut from."""
    values: dict[str, float | None] = {name: m.value for name, m in found.items()}
    return values | {k: v for k, v in band.items() if isinstance(v, float)}


def zone_table(
    model: ZoneModel, found: Mapping[str, Marker], band: Mapping[str, Any] | None = None
) -> Table | str:
    """The model's zones as ranges in bpm, pace or W (or why it cannot be drawn)."""
    values = _values(found, band or {})
    edges = zone_edges(model, values)
    if edges is None:
        missing = sorted({m for m, _ in model.cuts if m not in values})
        return f"{model.name}: needs {', '.join(LABELS.get(m, m) for m in missing)}"
    table = Table(title=f"Zones: {model.name}", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("zone")
    table.add_column("from", justify="right")
    table.add_column("to", justify="right")
    bounds = [None, *edges, None]
    for i, zone in enumerate(model.zones):
        lo, hi = bounds[i], bounds[i + 1]
        table.add_row(zone, _edge(model.channel, lo), _edge(model.channel, hi))
    return table


def zone_rule_line(
    model: ZoneModel, found: Mapping[str, Marker], band: Mapping[str, Any]
) -> str | None:
    """Which rule placed the model's edges (None for a model cut at plain fractions)."""
    rule = edge_rule(model, _values(found, band))
    return f"zone edges: {rule}" if rule else None


def _edge(channel: str, value: float | None) -> str:
    if value is None:
        return ""
    if channel == "speed":
        return pace_text(value)
    return f"{value:.0f} {'W' if channel == 'power' else 'bpm'}"


def band_lines(
    band: Mapping[str, Any], hr_fit: LactateFit | None, speed_fit: LactateFit | None
) -> list[str]:
    """The threshold band in HR, pace and power, with the rule that decided each."""
    lines = []
    if band.get("hr_lo") is not None:
        basis = _basis_text(band["hr_band_basis"], hr_fit)
        lines.append(f"threshold band, HR: {band['hr_lo']:.0f}-{band['hr_hi']:.0f} bpm ({basis})")
    else:
        lines.append("threshold band, HR: unknown (no max HR, LT2 or usable lactate fit)")
    if band.get("speed_lo") is not None:
        basis = _basis_text(band["speed_band_basis"], speed_fit)
        pace = f"{pace_text(band['speed_hi'])} to {pace_text(band['speed_lo'])}"
        lines.append(f"threshold band, pace: {pace} ({basis})")
    else:
        lines.append("threshold band, pace: unknown (no threshold pace or usable lactate fit)")
    if band.get("power_lo") is not None:
        watts = f"{band['power_lo']:.0f}-{band['power_hi']:.0f} W"
        lines.append(f"threshold band, power: {watts} (90-100 % of threshold power)")
    return lines


def fit_lines(hr_fit: LactateFit | None, speed_fit: LactateFit | None) -> list[str]:
    """Each lactate fit with its quality: used for the band, or a hint and why not."""
    lines = []
    for what, fit in (("HR", hr_fit), ("pace", speed_fit)):
        if fit is None:
            continue
        if what == "HR":
            span = f"{fit.lo:.0f}-{fit.hi:.0f} bpm"
        else:
            span = f"{pace_text(fit.lo)} to {pace_text(fit.hi)}"
        verdict = "used for the band" if fit.usable else f"a hint, not used: {fit.why}"
        lines.append(f"lactate fit, {what} at 2.0-3.0 mmol/L: {span} ({fit.quality()}; {verdict})")
    return lines


def _basis_text(basis: str, fit: LactateFit | None) -> str:
    if basis == "lactate" and fit is not None:
        return f"2.0-3.0 mmol/L from your lactate fit, {fit.quality()}"
    return {"lt2_hr": "92-100 % of LT2 HR", "max_hr": "80-87 % of max HR"}.get(
        basis, "90-104 % of threshold speed"
    )


def athlete_json(
    day: dt.date, found: Mapping[str, Marker], band: Mapping[str, Any], models: Sequence[ZoneModel]
) -> dict[str, Any]:
    """Markers, band and zone edges as one JSON object."""
    values = _values(found, band)
    return {
        "date": day.isoformat(),
        "markers": {
            name: {
                "value": round(m.value, 3),
                "source": m.source,
                "note": m.note,
                "evidence": m.evidence,
                "window": m.window,
                "confidence": m.confidence,
            }
            for name, m in found.items()
        },
        "band": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in band.items()},
        "zones": {
            model.name: {
                "zones": list(model.zones),
                "edges": zone_edges(model, values),
                "rule": edge_rule(model, values) or model.describe(),
            }
            for model in models
        },
    }
