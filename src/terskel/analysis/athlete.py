"""The athlete's markers in force on a date, where each came from, and the threshold band.

Precedence, per marker and date (the first that has a value wins):

1. config: `[athlete]` values and `[[athlete.thresholds]]` entries (the
   latest entry from on or before the date);
2. garmin: dated values synced into `athlete_thresholds` (the latest on or
   before the date, else the earliest one);
3. device: the max, threshold and resting HR the watch had set, read from the
   FIT files of that same date (a file's settings describe the runner who wore
   it that day; nothing carries them to other dates, so another runner's files
   in the store never move a session's markers);
4. lactate: threshold pace from the athlete's own pace-to-lactate fit;
5. estimate: from the runs themselves (see `ESTIMATE_RULES`).

Nothing else: when no source knows a marker it stays missing and every value
that needs it stays empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from terskel.analysis.estimates import (
    ESTIMATE_RULES,
    LT1_OF_LT2,
    MIN_RUNS,
    WINDOW_RULE,
    Estimate,
    estimates,
    estimates_with_evidence,
)
from terskel.analysis.lactate_fit import (
    LactateFit,
    attach_readings,
    curve_slope,
    fit_lactate,
)
from terskel.analysis.peaks import activity_peaks

# the names other modules import from here (markers, estimates, lactate fits, peaks)
__all__ = [
    "MARKERS", "MIN_RUNS", "WINDOW_RULE", "Estimate", "LactateFit", "Marker", "StoredMarkers",
    "activity_peaks", "attach_readings", "band", "curve_slope", "estimates",
    "estimates_with_evidence", "fit_lactate", "markers_frame", "resolve",
]  # fmt: skip

MARKERS = (
    "max_hr", "resting_hr", "lt1_hr", "lt2_hr", "threshold_speed_mps", "threshold_power_w",
)  # fmt: skip
SOURCES = ("config", "garmin", "device", "lactate", "estimate")
# Threshold band proxies (threshold-model.md sections 2-3).
LT2_BAND = (0.92, 1.00)  # x LT2 heart rate
HRMAX_BAND = (0.80, 0.87)  # x max HR: the I2/I3 border to the top of I3
SPEED_BAND = (0.90, 1.04)  # x threshold speed
POWER_BAND = (0.90, 1.00)  # x threshold power (the 2-3 mmol/L band sits under it)
DEVICE = "device"
BAND_VALUES = ("hr_lo", "hr_hi", "speed_lo", "speed_hi", "power_lo", "power_hi")


@dataclass(frozen=True)
class Marker:
    """One marker value with its origin (estimates: their window, effort and confidence)."""

    name: str
    value: float
    source: str  # config | garmin | device | lactate | estimate
    since: dt.date | None = None
    note: str = ""
    evidence: str = ""  # the effort it came from: activity id, date, duration
    window: str = ""  # the dates and runs it was estimated from
    confidence: float | None = None  # 0-1; config and synced values: None (taken as given)


# --------------------------------------------------------------------------- resolution


def resolve(
    day: dt.date,
    config: Sequence[tuple[dt.date | None, Mapping[str, float]]],
    stored: pl.DataFrame | StoredMarkers,
    estimated: Mapping[str, float | Estimate],
    lactate_speed: LactateFit | None = None,
    day_best_hr: float | None = None,
) -> dict[str, Marker]:
    """The markers in force on `day`, each from the first source that has it.

    `day_best_hr`: the best 60 s HR of the day's runs, the evidence a device
    threshold HR is checked against when the window holds no estimate.
    """
    found: dict[str, Marker] = {}
    index = StoredMarkers.of(stored)
    best = estimated.get("max_hr")
    seen = best.value if isinstance(best, Estimate) else best
    seen = day_best_hr if seen is None else seen
    for since, values in config:  # oldest first: later entries overwrite
        if since is None or since <= day:
            for name, value in values.items():
                found[name] = Marker(name, value, "config", since)
    for name in MARKERS:
        if name not in found:
            marker = _stored(name, day, index) or _device(name, day, index, seen)
            if marker is not None:
                found[name] = marker
    usable = lactate_speed is not None and lactate_speed.usable
    if "threshold_speed_mps" not in found and lactate_speed is not None and usable:
        note = f"pace at 3.0 mmol/L, {lactate_speed.readings} readings"
        found["threshold_speed_mps"] = Marker(
            "threshold_speed_mps", lactate_speed.hi, "lactate", None, note
        )
    pending: dict[str, float | Estimate] = dict(estimated)
    if "lt2_hr" in found and found["lt2_hr"].source != "estimate":
        pending["lt1_hr"] = LT1_OF_LT2 * found["lt2_hr"].value
    for name, guess in pending.items():
        if name not in found:
            found[name] = _estimated(name, guess)
    return found


def _estimated(name: str, value: float | Estimate) -> Marker:
    """An estimate as a marker: the rule, the effort, the window and the confidence."""
    rule = ESTIMATE_RULES.get(name, "")
    if not isinstance(value, Estimate):
        return Marker(name, value, "estimate", None, rule)
    note = f"{rule}; {value.note}" if value.note else rule
    return Marker(
        name,
        value.value,
        "estimate",
        None,
        note,
        value.evidence(),
        value.window_text(),
        value.confidence,
    )


@dataclass(frozen=True)
class StoredMarkers:
    """`athlete_thresholds` indexed once: resolving a date is then lookups, not frame filters
    (a rebuild resolves thousands of dates against the same rows)."""

    synced: dict[str, list[tuple[dt.date | None, float, str]]]  # by effective_from, nulls first
    device: dict[tuple[str, dt.date], tuple[float, str]]  # the first row of a marker and day

    @classmethod
    def of(cls, stored: pl.DataFrame | StoredMarkers) -> StoredMarkers:
        """The index of a stored-markers frame (an index is returned as it is)."""
        if isinstance(stored, StoredMarkers):
            return stored
        synced: dict[str, list[tuple[dt.date | None, float, str]]] = {}
        device: dict[tuple[str, dt.date], tuple[float, str]] = {}
        if stored.is_empty():
            return cls(synced, device)
        note_col = pl.col("note") if "note" in stored.columns else pl.lit(None, pl.String)
        cols = ("marker", "source", "value", "effective_from")
        for name, source, value, since, note in stored.select(*cols, note_col).iter_rows():
            if name is None or source is None:
                continue  # a null never equals a marker name or a source
            if source == DEVICE:
                if since is not None:
                    device.setdefault((name, since), (value, note))
            elif source != "estimate":
                synced.setdefault(name, []).append((since, value, source))
        for rows in synced.values():  # stable, nulls first: as the frame sort was
            rows.sort(key=lambda r: (r[0] is not None, r[0] or dt.date.min))
        return cls(synced, device)


def _stored(name: str, day: dt.date, stored: StoredMarkers) -> Marker | None:
    """A synced (non-estimate) value: the latest on or before `day`, else the earliest."""
    rows = stored.synced.get(name)
    if not rows:
        return None
    before = [r for r in rows if r[0] is not None and r[0] <= day]
    since, value, source = before[-1] if before else rows[0]
    note = "" if before else "the earliest synced value (none before this date)"
    return Marker(name, float(value), str(source), since, note)


def _device(name: str, day: dt.date, stored: StoredMarkers, seen: float | None) -> Marker | None:
    """The watch's own setting recorded in a file of `day`, unless the runs contradict it."""
    row = stored.device.get((name, day))
    if row is None:
        return None
    value = float(row[0])
    # a threshold HR the runner never reached for 60 s (in the estimate window, else
    # that day) is a setting the data contradicts (seen: LTHR 151 set, HR never above 148)
    if name == "lt2_hr" and (seen is None or value >= seen):
        return None
    return Marker(name, value, DEVICE, day, str(row[1] or ""))


def markers_frame(
    days: Sequence[dt.date],
    config: Sequence[tuple[dt.date | None, Mapping[str, float]]],
    stored: pl.DataFrame | StoredMarkers,
    peaks: pl.DataFrame,
    hr_fit: LactateFit | None = None,
    speed_fit: LactateFit | None = None,
) -> pl.DataFrame:
    """One row per day: each marker's value and source, and the threshold band."""
    est = estimates(days, peaks)
    day_best = _day_best_hr(peaks)
    index = StoredMarkers.of(stored)
    rows = []
    for day in sorted(set(days)):
        found = resolve(day, config, index, est[day], speed_fit, day_best.get(day))
        row: dict[str, object] = {"local_date": day}
        for name in MARKERS:
            marker = found.get(name)
            row[name] = marker.value if marker else None
            row[f"{name}_source"] = marker.source if marker else None
        rows.append(row | band(found, hr_fit, speed_fit))
    schema = {"local_date": pl.Date()} | {
        name: dtype
        for m in MARKERS
        for name, dtype in ((m, pl.Float64()), (f"{m}_source", pl.String()))
    }
    schema |= {c: pl.Float64() for c in BAND_VALUES}
    schema |= {"hr_band_basis": pl.String(), "speed_band_basis": pl.String()}
    schema |= {"power_band_basis": pl.String()}
    return pl.DataFrame(rows, schema=schema)


def _day_best_hr(peaks: pl.DataFrame) -> dict[dt.date, float]:
    """The best 60 s HR of each day's runs."""
    if peaks.is_empty() or "hr_60s" not in peaks.columns:
        return {}
    best = peaks.group_by("local_date").agg(pl.col("hr_60s").max()).drop_nulls()
    return dict(zip(best["local_date"].to_list(), best["hr_60s"].to_list(), strict=True))


def band(
    found: Mapping[str, Marker], hr_fit: LactateFit | None, speed_fit: LactateFit | None
) -> dict[str, object]:
    """The threshold band in HR and speed, and what each rests on."""
    out: dict[str, object] = dict.fromkeys(BAND_VALUES)
    out |= {"hr_band_basis": None, "speed_band_basis": None, "power_band_basis": None}
    if "threshold_power_w" in found:
        power = found["threshold_power_w"].value
        out |= {"power_lo": POWER_BAND[0] * power, "power_hi": POWER_BAND[1] * power}
        out["power_band_basis"] = "threshold_power"
    hr_fit = hr_fit if hr_fit is not None and hr_fit.usable else None
    speed_fit = speed_fit if speed_fit is not None and speed_fit.usable else None
    # A watch's max HR is often its factory 220-minus-age value: shown and used for the
    # %max-HR zones, but too crude to place the threshold band (typing bench: 67 -> 63/80)
    top_marker = found.get("max_hr")
    top_marker = None if top_marker is not None and top_marker.source == DEVICE else top_marker
    if hr_fit is not None:
        out |= {"hr_lo": hr_fit.lo, "hr_hi": hr_fit.hi, "hr_band_basis": "lactate"}
    elif "lt2_hr" in found and _rank(found["lt2_hr"]) <= _rank(top_marker):
        lt2 = found["lt2_hr"].value
        out |= {"hr_lo": LT2_BAND[0] * lt2, "hr_hi": LT2_BAND[1] * lt2, "hr_band_basis": "lt2_hr"}
    elif top_marker is not None:
        top = top_marker.value
        out |= {"hr_lo": HRMAX_BAND[0] * top, "hr_hi": HRMAX_BAND[1] * top}
        out["hr_band_basis"] = "max_hr"
    if speed_fit is not None:
        out |= {"speed_lo": speed_fit.lo, "speed_hi": speed_fit.hi, "speed_band_basis": "lactate"}
    elif "threshold_speed_mps" in found:
        speed = found["threshold_speed_mps"].value
        out |= {"speed_lo": SPEED_BAND[0] * speed, "speed_hi": SPEED_BAND[1] * speed}
        out["speed_band_basis"] = "threshold_pace"
    return out


def _rank(marker: Marker | None) -> int:
    """How much a marker's source is trusted: lower is better."""
    if marker is None:
        return len(SOURCES)
    return SOURCES.index(marker.source) if marker.source in SOURCES else 1  # synced
