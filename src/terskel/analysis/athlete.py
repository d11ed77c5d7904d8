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
# Window of the estimates (the rule `athlete` states): the best efforts of the 90 days
# up to a session's date; when fewer than MIN_RUNS runs carry the stream there, the
# window reaches back up to 365 days; with still too few (the start of a history) it
# takes the 90 days before and after the date (a look-ahead, said as such, half the
# confidence). Files older than the window never move a session's markers. A window is
# at the start of a history too while its runs span less than MIN_HISTORY: a week of
# easy runs holds no best effort (their best 20 min HR is not LT2).
ESTIMATE_WINDOW = dt.timedelta(days=90)
MIN_HISTORY = dt.timedelta(days=28)
WINDOW_RULE = (
    "best efforts of the 90 days up to each date, reaching back up to 365 days until 5 runs "
    "carry the stream; while the 90 days hold 5 runs over less than 4 weeks (the start of a "
    "history), the 90 days before and after the date (a look-ahead, confidence halved); "
    "confidence = runs in the window / 15, at most 1"
)
ESTIMATE_REACH = dt.timedelta(days=365)
ESTIMATE_RULES = {
    "max_hr": "best 60 s HR in the window; at least LT2 HR / 0.87, never above the best "
    "60 s HR recorded (capped, and said so)",
    "lt2_hr": "best 20 min heart rate in the window (Friel's LTHR test)",
    "lt1_hr": "88 % of LT2 heart rate",
    "threshold_speed_mps": "the better of best 60 min and 95 % of best 20 min speed in the window",
    "threshold_power_w": "95 % of best 20 min power in the window",
}
# what each estimate rests on: peak column, effort length as a runner reads it
EVIDENCE = {
    "max_hr": ("hr_60s", "60 s"),
    "lt2_hr": ("hr_20min", "20 min"),
    "lt1_hr": ("hr_20min", "20 min"),
    "threshold_power_w": ("power_20min", "20 min"),
}
# runs in the window for full confidence (about a month of regular running)
FULL_CONFIDENCE_RUNS = 15
# Threshold band: lactate 2-3 mmol/L (threshold-model.md sections 2-3), or proxies.
LACTATE_BAND = (2.0, 3.0)
LT2_BAND = (0.92, 1.00)  # x LT2 heart rate
HRMAX_BAND = (0.80, 0.87)  # x max HR: the I2/I3 border to the top of I3
SPEED_BAND = (0.90, 1.04)  # x threshold speed
POWER_BAND = (0.90, 1.00)  # x threshold power (the 2-3 mmol/L band sits under it)
BAND_VALUES = ("hr_lo", "hr_hi", "speed_lo", "speed_hi", "power_lo", "power_hi")
MIN_FIT_READINGS = 5
# The quality bar of a lactate fit (else it is a hint and is not used): readings from two
# sessions or more, spanning 2-3 mmol/L (within FIT_SPAN_SLACK), R² >= MIN_FIT_R2 and a
# band as wide as a real 2-3 mmol/L band can be (the LT2 proxy is ~13 bpm / ~8 % wide)
MIN_FIT_SESSIONS = 2
FIT_SPAN_SLACK = 0.3
MIN_FIT_R2 = 0.6
FIT_WIDTH = {"hr": (6.0, 25.0), "speed": (0.03, 0.20)}
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
    """One marker value with its origin (estimates: their window, effort and confidence)."""

    name: str
    value: float
    source: str  # config | garmin | lactate | estimate
    since: dt.date | None = None
    note: str = ""
    evidence: str = ""  # the effort it came from: activity id, date, duration
    window: str = ""  # the dates and runs it was estimated from
    confidence: float | None = None  # 0-1; config and synced values: None (taken as given)


@dataclass(frozen=True)
class Estimate:
    """An estimated marker with the effort behind it and how sure it is."""

    value: float
    activity_id: int | None
    date: dt.date | None
    effort: str  # "20 min", "60 s" ...
    window: tuple[dt.date, dt.date]
    runs: int
    looked_ahead: bool
    note: str = ""

    @property
    def confidence(self) -> float:
        """Runs in the window over FULL_CONFIDENCE_RUNS, halved for a look-ahead window."""
        share = min(1.0, self.runs / FULL_CONFIDENCE_RUNS)
        return round(share * (0.5 if self.looked_ahead else 1.0), 2)

    def evidence(self) -> str:
        """The effort it came from, in words."""
        if self.activity_id is None:
            return ""
        return f"best {self.effort} of activity {self.activity_id} on {self.date}"

    def window_text(self) -> str:
        """The window in words."""
        ahead = " (look-ahead: too few runs before)" if self.looked_ahead else ""
        return f"{self.window[0]}..{self.window[1]}, {self.runs} runs{ahead}"


@dataclass(frozen=True)
class LactateFit:
    """A robust line mmol = a + b x, the x band giving 2-3 mmol/L, and how good it is.

    `usable` is False (the fit is a hint, never a band) unless it passes the
    quality bar: readings from MIN_FIT_SESSIONS sessions, spanning the band,
    R² >= MIN_FIT_R2, and a band of a sane width; `why` says what failed.
    """

    intercept: float
    slope: float
    readings: int
    lo: float  # x at 2.0 mmol/L
    hi: float  # x at 3.0 mmol/L
    sessions: int = 0
    r2: float = 0.0
    rmse: float = 0.0  # residual mmol/L (root mean square)
    usable: bool = True
    why: str = ""

    def quality(self) -> str:
        """Readings, sessions, R² and residuals in words."""
        return (
            f"{self.readings} readings from {self.sessions} sessions, R² {self.r2:.2f}, "
            f"residuals {self.rmse:.2f} mmol/L"
        )


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
    """Estimated marker values per day from stored peaks (see ESTIMATE_RULES); {} without data."""
    found = estimates_with_evidence(days, peaks)
    return {day: {k: e.value for k, e in values.items()} for day, values in found.items()}


def estimates_with_evidence(
    days: Sequence[dt.date], peaks: pl.DataFrame
) -> dict[dt.date, dict[str, Estimate]]:
    """Estimated markers per day with the effort, window and confidence behind each."""
    if peaks.is_empty() or not days:
        return {day: {} for day in days}
    peaks = peaks.sort("local_date")
    if AID not in peaks.columns:
        peaks = peaks.with_columns(pl.lit(None, pl.Int64).alias(AID))
    columns = {c: _Column.of(peaks, c) for c in PEAK_COLUMNS}
    cache: dict[tuple[tuple[int, int, bool], ...], dict[str, Estimate]] = {}
    out = {}
    for day in days:
        # days whose windows hold the same runs share the answer
        spans = {c: col.span(day) for c, col in columns.items()}
        key = tuple(spans[c] for c in PEAK_COLUMNS)
        if key not in cache:
            cache[key] = _estimate({c: columns[c].best(*spans[c]) for c in PEAK_COLUMNS})
        out[day] = cache[key]
    return out


@dataclass(frozen=True)
class _Best:
    """The best value of one peak column in a window, and where it came from."""

    value: float
    activity_id: int | None
    date: dt.date
    window: tuple[dt.date, dt.date]
    runs: int
    looked_ahead: bool


@dataclass(frozen=True)
class _Column:
    """One peak column's runs that carry it, sorted by date."""

    dates: list[dt.date]
    values: np.ndarray
    ids: list[int | None]

    @classmethod
    def of(cls, peaks: pl.DataFrame, column: str) -> _Column:
        rows = peaks.filter(pl.col(column).is_not_null() & pl.col(column).is_not_nan())
        values = rows[column].cast(pl.Float64).to_numpy()
        return cls(rows["local_date"].to_list(), values, rows[AID].to_list())

    def span(self, day: dt.date) -> tuple[int, int, bool]:
        """Index range of the window for `day` (ESTIMATE_WINDOW rule) and if it looks ahead."""
        hi = bisect.bisect_right(self.dates, day)
        lo = bisect.bisect_left(self.dates, day - ESTIMATE_WINDOW)
        if hi - lo >= MIN_RUNS and self.dates[lo] <= day - MIN_HISTORY:
            return lo, hi, False
        if hi - lo < MIN_RUNS:  # a quiet spell: reach back (a short history does not)
            lo = bisect.bisect_left(self.dates, day - ESTIMATE_REACH)
            if hi - lo >= MIN_RUNS or lo >= len(self.dates):
                return lo, hi, False
        # the start of a history: the window's length before and after the day (anchored
        # on the day, so no older file moves it), or the next runs up to MIN_RUNS
        lo = bisect.bisect_left(self.dates, day - ESTIMATE_WINDOW)
        ahead = bisect.bisect_right(self.dates, day + ESTIMATE_WINDOW)
        return lo, max(ahead, min(len(self.dates), lo + MIN_RUNS)), True

    def best(self, lo: int, hi: int, ahead: bool) -> _Best | None:
        """The window's highest value, or None when fewer than MIN_RUNS runs carry it."""
        if hi - lo < MIN_RUNS:
            return None
        k = lo + int(np.argmax(self.values[lo:hi]))
        window = (self.dates[lo], self.dates[hi - 1])
        return _Best(float(self.values[k]), self.ids[k], self.dates[k], window, hi - lo, ahead)


def _from(best: _Best, effort: str, value: float | None = None, note: str = "") -> Estimate:
    return Estimate(
        best.value if value is None else value,
        best.activity_id,
        best.date,
        effort,
        best.window,
        best.runs,
        best.looked_ahead,
        note,
    )


def _estimate(best: Mapping[str, _Best | None]) -> dict[str, Estimate]:
    """Markers from one window of peaks; each needs MIN_RUNS runs that carry its stream."""
    values: dict[str, Estimate] = {}
    hr60, lt2 = best["hr_60s"], best["hr_20min"]
    if lt2 is not None:
        values["lt2_hr"] = _from(lt2, "20 min")
        values["lt1_hr"] = _from(lt2, "20 min", LT1_OF_LT2 * lt2.value)
    if hr60 is not None:
        values["max_hr"] = _from(hr60, "60 s")
        floor = lt2.value / MAX_LT2_OF_MAX if lt2 is not None else 0.0
        if floor > hr60.value:
            note = (
                f"capped: LT2 / {MAX_LT2_OF_MAX} = {floor:.0f} is above the best 60 s HR "
                f"recorded ({hr60.value:.0f}); kept at what the data shows"
            )
            values["max_hr"] = _from(hr60, "60 s", note=note)
    s60, s20 = best["speed_60min"], best["speed_20min"]
    speeds = [(s60.value, s60, "60 min")] if s60 is not None else []
    speeds += [(0.95 * s20.value, s20, "20 min")] if s20 is not None else []
    if speeds:
        value, source, effort = max(speeds, key=lambda t: t[0])
        values["threshold_speed_mps"] = _from(source, effort, value)
    p20 = best["power_20min"]
    if p20 is not None and p20.value > 0:
        values["threshold_power_w"] = _from(p20, "20 min", 0.95 * p20.value)
    return values


# --------------------------------------------------------------------------- resolution


def resolve(
    day: dt.date,
    config: Sequence[tuple[dt.date | None, Mapping[str, float]]],
    stored: pl.DataFrame,
    estimated: Mapping[str, float | Estimate],
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
    schema |= {c: pl.Float64() for c in BAND_VALUES}
    schema |= {"hr_band_basis": pl.String(), "speed_band_basis": pl.String()}
    schema |= {"power_band_basis": pl.String()}
    return pl.DataFrame(rows, schema=schema)


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


def fit_lactate(
    x: Sequence[float | None],
    mmol: Sequence[float | None],
    sessions: Sequence[int | None] | None = None,
    kind: str = "hr",
) -> LactateFit | None:
    """Theil-Sen line mmol = a + b x with its quality; None with too few readings or no rise.

    `kind`: hr (band width in bpm) or speed (width relative to the band's top);
    `sessions`: the activity of each reading (the bar needs MIN_FIT_SESSIONS).
    """
    ids = list(sessions) if sessions is not None else [None] * len(x)
    rows = [
        (a, b, s) for a, b, s in zip(x, mmol, ids, strict=True) if a is not None and b is not None
    ]
    pairs = [(float(a), float(b)) for a, b, _ in rows]
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
    values = np.array([m for _, m in pairs])
    residuals = values - (intercept + slope * np.array([xv for xv, _ in pairs]))
    total = float(((values - values.mean()) ** 2).sum())
    r2 = 1.0 - float((residuals**2).sum()) / total if total > 0 else 0.0
    rmse = float(np.sqrt((residuals**2).mean()))
    n_sessions = len({s for _, _, s in rows if s is not None})
    why = _fit_problem(values, n_sessions, r2, lo, hi, kind)
    return LactateFit(intercept, slope, len(pairs), lo, hi, n_sessions, r2, rmse, not why, why)


def _fit_problem(
    mmol: np.ndarray, sessions: int, r2: float, lo: float, hi: float, kind: str
) -> str:
    """What keeps a fit from defining the band ('' when it passes the bar)."""
    if sessions < MIN_FIT_SESSIONS:
        return f"readings from {sessions} session(s); the band needs {MIN_FIT_SESSIONS}"
    if (
        mmol.min() > LACTATE_BAND[0] + FIT_SPAN_SLACK
        or mmol.max() < LACTATE_BAND[1] - FIT_SPAN_SLACK
    ):
        return f"readings {mmol.min():.1f}-{mmol.max():.1f} mmol/L do not span the 2-3 band"
    if r2 < MIN_FIT_R2:
        return f"R² {r2:.2f} under {MIN_FIT_R2}"
    width = hi - lo if kind == "hr" else (hi - lo) / hi
    low, high = FIT_WIDTH[kind]
    if not low <= width <= high:
        unit = "bpm" if kind == "hr" else "of the pace"
        shown = f"{width:.0f} bpm" if kind == "hr" else f"{width:.0%}"
        bounds = f"{low:g}-{high:g} {unit}" if kind == "hr" else f"{low:.0%}-{high:.0%} {unit}"
        return f"band {shown} wide, outside {bounds}"
    return ""


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
