"""The athlete's markers in force on a date, where each came from, and the threshold band.

Precedence, per marker and date (the first that has a value wins):

1. config: `[athlete]` values and `[[athlete.thresholds]]` entries (the
   latest entry from on or before the date);
2. garmin: dated values synced into `athlete_thresholds` (the latest on or
   before the date, else the earliest one);
3. lactate: threshold pace from the athlete's own pace-to-lactate fit;
4. estimate: from the runs themselves (see `ESTIMATE_RULES`).

Nothing else: when no source knows a marker it stays missing and every value
that needs it stays empty.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import median

import numpy as np
import polars as pl

AID = "activity_id"
MARKERS = (
    "max_hr", "resting_hr", "lt1_hr", "lt2_hr", "threshold_speed_mps", "threshold_power_w",
)  # fmt: skip
SOURCES = ("config", "garmin", "lactate", "estimate")
# window of the estimates: the 12 months up to a session (or the first 12 months of data);
# each estimate needs MIN_RUNS runs with the stream it uses
ESTIMATE_WINDOW = dt.timedelta(days=365)
ESTIMATE_RULES = {
    "max_hr": "best 60 s HR in 12 months, at least LT2 HR / 0.87",
    "lt2_hr": "best 20 min heart rate in 12 months (Friel's LTHR test)",
    "lt1_hr": "88 % of LT2 heart rate",
    "threshold_speed_mps": "the better of best 60 min and 95 % of best 20 min, 12 months",
    "threshold_power_w": "95 % of best 20 min power in 12 months",
}
# Threshold band: lactate 2-3 mmol/L (threshold-model.md sections 2-3), or proxies.
LACTATE_BAND = (2.0, 3.0)
LT2_BAND = (0.92, 1.00)  # x LT2 heart rate
HRMAX_BAND = (0.80, 0.87)  # x max HR: the I2/I3 border to the top of I3
SPEED_BAND = (0.90, 1.04)  # x threshold speed
MIN_FIT_READINGS = 5
LT1_OF_LT2 = 0.88
# The lactate threshold lies at about 83-87 % of max HR (threshold-model.md section 2;
# the top of Olympiatoppen I3). Training rarely reaches true max HR, so the best 60 s
# is a lower bound; LT2 / 0.87 keeps the %max-HR zones consistent with the LT2 band,
# so an easy run is not called I3 because max HR was underestimated.
MAX_LT2_OF_MAX = 0.87
# An estimate rests on at least this many runs (one run's best effort says little).
MIN_RUNS = 5
# The best-effort columns of activity_peaks that estimates read.
PEAK_COLUMNS = ("hr_60s", "hr_20min", "speed_20min", "speed_60min", "power_20min")
PEAK_BIN_S = 10


@dataclass(frozen=True)
class Marker:
    """One marker value with its origin."""

    name: str
    value: float
    source: str  # config | garmin | lactate | estimate
    since: dt.date | None = None
    note: str = ""


@dataclass(frozen=True)
class LactateFit:
    """A robust line mmol = a + b x, and the x band giving 2-3 mmol/L."""

    intercept: float
    slope: float
    readings: int
    lo: float  # x at 2.0 mmol/L
    hi: float  # x at 3.0 mmol/L


# --------------------------------------------------------------------------- peaks


def activity_peaks(samples: pl.LazyFrame, local_dates: pl.LazyFrame) -> pl.LazyFrame:
    """Per activity: best 60 s and 20 min HR, best 20 and 60 min speed, best 20 min power.

    `local_dates`: activity_id, local_date. Samples are first averaged into
    PEAK_BIN_S bins (10x fewer rows; a 60 s window is still 6 bins). Windows
    are wall-clock and must really span their length.
    """
    s = (
        samples.select(AID, "t", "heart_rate", "distance_m", "power_w")
        .with_columns(
            heart_rate=pl.when(pl.col("heart_rate").is_between(30, 230)).then(pl.col("heart_rate")),
            t=pl.col("t").dt.truncate(f"{PEAK_BIN_S}s"),
        )
        .group_by(AID, "t")
        .agg(pl.col("heart_rate").mean(), pl.col("distance_m").max(), pl.col("power_w").mean())
        .sort(AID, "t")
        .with_columns(since_start=(pl.col("t") - pl.col("t").min().over(AID)).dt.total_seconds())
    )
    hr = s.with_columns(
        hr60=pl.col("heart_rate").rolling_mean_by("t", window_size="60s").over(AID)
    ).filter(pl.col("since_start") >= 60 - PEAK_BIN_S)
    best_hr = hr.group_by(AID).agg(hr_60s=pl.col("hr60").max())
    out = local_dates.join(best_hr, on=AID, how="left")
    for name, minutes, column in (
        ("hr_20min", 20, "heart_rate"),
        ("speed_20min", 20, "distance_m"),
        ("speed_60min", 60, "distance_m"),
        ("power_20min", 20, "power_w"),
    ):
        out = out.join(_best_over(s, minutes, column, name), on=AID, how="left")
    return out


def _best_over(s: pl.LazyFrame, minutes: int, column: str, name: str) -> pl.LazyFrame:
    """Best average over `minutes` of a cumulative distance (speed) or of a rate (power)."""
    span = dt.timedelta(minutes=minutes)
    if column != "distance_m":
        rolled = s.with_columns(
            v=pl.col(column).rolling_mean_by("t", window_size=f"{minutes}m").over(AID)
        ).filter(pl.col("since_start") >= span.total_seconds() - PEAK_BIN_S)
        return rolled.group_by(AID).agg(pl.col("v").max().alias(name))
    valid = s.filter(pl.col("distance_m").is_not_null())
    earlier = valid.select(AID, t0=pl.col("t"), d0=pl.col("distance_m")).sort("t0")
    pairs = (
        valid.with_columns(start=pl.col("t") - span)
        .sort("start")
        .join_asof(
            earlier, left_on="start", right_on="t0", by=AID, tolerance="15s", check_sortedness=False
        )
        .filter(pl.col("t0").is_not_null())
        .with_columns(
            v=(pl.col("distance_m") - pl.col("d0"))
            / (pl.col("t") - pl.col("t0")).dt.total_seconds()
        )
    )
    return pairs.group_by(AID).agg(pl.col("v").max().alias(name))


# --------------------------------------------------------------------------- estimates


def estimates(days: Sequence[dt.date], peaks: pl.DataFrame) -> dict[dt.date, dict[str, float]]:
    """Estimated markers per day from stored peaks (see ESTIMATE_RULES); {} without data."""
    if peaks.is_empty() or not days:
        return {day: {} for day in days}
    peaks = peaks.sort("local_date")
    dates = peaks["local_date"].to_list()
    # one float array per peak column (NaN where a run lacks that stream): slicing a
    # window out of sorted arrays is cheap, and days sharing a window share the answer
    columns = {c: peaks[c].cast(pl.Float64).fill_null(math.nan).to_numpy() for c in PEAK_COLUMNS}
    first = dates[0]
    by_end: dict[dt.date, dict[str, float]] = {}
    out = {}
    for day in days:
        end = max(day, first + ESTIMATE_WINDOW)
        if end not in by_end:
            lo = bisect.bisect_left(dates, end - ESTIMATE_WINDOW)
            hi = bisect.bisect_right(dates, end)
            by_end[end] = _estimate({c: values[lo:hi] for c, values in columns.items()})
        out[day] = by_end[end]
    return out


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, float | int) and not math.isnan(value) else None


def _window_max(values: np.ndarray) -> float | None:
    """The highest value of a window, or None when fewer than MIN_RUNS runs carry it."""
    present = values[~np.isnan(values)]
    return float(present.max()) if present.size >= MIN_RUNS else None


def _estimate(window: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Markers from one window of peaks; each needs MIN_RUNS runs that carry its stream."""
    values: dict[str, float] = {}
    best = {c: _window_max(v) for c, v in window.items()}
    max_hr, lt2 = best["hr_60s"], best["hr_20min"]
    if lt2 is not None:
        values |= {"lt2_hr": lt2, "lt1_hr": LT1_OF_LT2 * lt2}
        max_hr = max(max_hr or 0.0, lt2 / MAX_LT2_OF_MAX)
    if max_hr is not None:
        values["max_hr"] = max_hr
    s60, s20 = best["speed_60min"], best["speed_20min"]
    speeds = [v for v in (s60, 0.95 * s20 if s20 is not None else None) if v]
    if speeds:
        values["threshold_speed_mps"] = float(max(speeds))
    p20 = best["power_20min"]
    if p20 is not None and p20 > 0:
        values["threshold_power_w"] = 0.95 * p20
    return values


# --------------------------------------------------------------------------- resolution


def resolve(
    day: dt.date,
    config: Sequence[tuple[dt.date | None, Mapping[str, float]]],
    stored: pl.DataFrame,
    estimated: Mapping[str, float],
    lactate_speed: LactateFit | None = None,
) -> dict[str, Marker]:
    """The markers in force on `day`, each from the first source that has it."""
    found: dict[str, Marker] = {}
    for since, values in config:  # oldest first: later entries overwrite
        if since is None or since <= day:
            for name, value in values.items():
                found[name] = Marker(name, value, "config", since)
    for name in MARKERS:
        if name not in found:
            marker = _stored(name, day, stored)
            if marker is not None:
                found[name] = marker
    if "threshold_speed_mps" not in found and lactate_speed is not None:
        note = f"pace at 3.0 mmol/L, {lactate_speed.readings} readings"
        found["threshold_speed_mps"] = Marker(
            "threshold_speed_mps", lactate_speed.hi, "lactate", None, note
        )
    if "lt2_hr" in found and found["lt2_hr"].source != "estimate":
        estimated = dict(estimated) | {"lt1_hr": LT1_OF_LT2 * found["lt2_hr"].value}
    for name, value in estimated.items():
        if name not in found:
            found[name] = Marker(name, value, "estimate", None, ESTIMATE_RULES.get(name, ""))
    return found


def _stored(name: str, day: dt.date, stored: pl.DataFrame) -> Marker | None:
    """A synced (non-estimate) value: the latest on or before `day`, else the earliest."""
    if stored.is_empty():
        return None
    rows = stored.filter((pl.col("marker") == name) & (pl.col("source") != "estimate"))
    if rows.is_empty():
        return None
    rows = rows.sort("effective_from")
    before = rows.filter(pl.col("effective_from") <= day)
    row = before.row(-1, named=True) if before.height else rows.row(0, named=True)
    note = "" if before.height else "the earliest synced value (none before this date)"
    return Marker(name, float(row["value"]), str(row["source"]), row["effective_from"], note)


def markers_frame(
    days: Sequence[dt.date],
    config: Sequence[tuple[dt.date | None, Mapping[str, float]]],
    stored: pl.DataFrame,
    peaks: pl.DataFrame,
    hr_fit: LactateFit | None = None,
    speed_fit: LactateFit | None = None,
) -> pl.DataFrame:
    """One row per day: each marker's value and source, and the threshold band."""
    est = estimates(days, peaks)
    rows = []
    for day in sorted(set(days)):
        found = resolve(day, config, stored, est[day], speed_fit)
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
    schema |= {c: pl.Float64() for c in ("hr_lo", "hr_hi", "speed_lo", "speed_hi")}
    schema |= {"hr_band_basis": pl.String(), "speed_band_basis": pl.String()}
    return pl.DataFrame(rows, schema=schema)


def band(
    found: Mapping[str, Marker], hr_fit: LactateFit | None, speed_fit: LactateFit | None
) -> dict[str, object]:
    """The threshold band in HR and speed, and what each rests on."""
    out: dict[str, object] = dict.fromkeys(("hr_lo", "hr_hi", "speed_lo", "speed_hi"))
    out |= {"hr_band_basis": None, "speed_band_basis": None}
    if hr_fit is not None:
        out |= {"hr_lo": hr_fit.lo, "hr_hi": hr_fit.hi, "hr_band_basis": "lactate"}
    elif "lt2_hr" in found and _rank(found["lt2_hr"]) <= _rank(found.get("max_hr")):
        lt2 = found["lt2_hr"].value
        out |= {"hr_lo": LT2_BAND[0] * lt2, "hr_hi": LT2_BAND[1] * lt2, "hr_band_basis": "lt2_hr"}
    elif "max_hr" in found:
        top = found["max_hr"].value
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


# --------------------------------------------------------------------------- lactate


def fit_lactate(x: Sequence[float], mmol: Sequence[float]) -> LactateFit | None:
    """Theil-Sen line mmol = a + b x; None with under MIN_FIT_READINGS or no rising slope."""
    pairs = [(a, b) for a, b in zip(x, mmol, strict=True) if a is not None and b is not None]
    if len(pairs) < MIN_FIT_READINGS:
        return None
    slopes = [
        (m2 - m1) / (x2 - x1)
        for i, (x1, m1) in enumerate(pairs)
        for x2, m2 in pairs[i + 1 :]
        if x2 != x1
    ]
    if not slopes:
        return None
    slope = median(slopes)
    if slope <= 0:
        return None
    intercept = median(m - slope * xv for xv, m in pairs)
    lo, hi = ((level - intercept) / slope for level in LACTATE_BAND)
    return LactateFit(intercept, slope, len(pairs), lo, hi)


def attach_readings(readings: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """Give each timed reading the work rep that ended last before it (set_no, rep_no).

    `readings`: reading_id, activity_id, set_no, rep_no, taken_at, mmol, ...;
    rows already holding a rep keep it. Adds the rep's avg_speed_mps,
    avg_hr_2nd_half and avg_hr (null when the rep is not found).
    """
    work = segments.filter(pl.col("kind") == "work").select(
        AID, "set_no", "rep_no", "end_utc", "avg_speed_mps", "avg_hr", "avg_hr_2nd_half"
    )
    timed = readings.filter(pl.col("taken_at").is_not_null() & pl.col("rep_no").is_null())
    if timed.height:
        found = (
            timed.drop("set_no", "rep_no")
            .with_columns(pl.col("taken_at").cast(pl.Datetime("us")))
            .sort("taken_at")
            .join_asof(
                work.select(
                    AID, "set_no", "rep_no", rep_end=pl.col("end_utc").cast(pl.Datetime("us"))
                ).sort("rep_end"),
                left_on="taken_at",
                right_on="rep_end",
                by=AID,
                strategy="backward",
                check_sortedness=False,
            )
            .drop("rep_end")
        )
        rest = readings.join(timed.select("reading_id"), on="reading_id", how="anti")
        readings = pl.concat([rest, found.select(readings.columns)], how="vertical_relaxed")
    return readings.join(work.drop("end_utc"), on=[AID, "set_no", "rep_no"], how="left").sort(
        "reading_id"
    )


def curve_slope(reps: Sequence[float], mmol: Sequence[float]) -> float | None:
    """Lactate change per rep across a session's readings (Theil-Sen over rep numbers)."""
    points = sorted(zip(reps, mmol, strict=True))
    slopes = [
        (m2 - m1) / (r2 - r1)
        for k, (r1, m1) in enumerate(points)
        for r2, m2 in points[k + 1 :]
        if r2 != r1
    ]
    return median(slopes) if slopes else None
