"""Markers estimated from the runs themselves: the window, the best effort, the confidence."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from terskel.analysis.peaks import PEAK_COLUMNS

AID = "activity_id"
# Window of the estimates (the rule `athlete` states): the best efforts of the 90 days
# up to a session's date, once those 90 days hold ESTABLISHED_RUNS runs that carry the
# stream, MIN_RUNS of them at least MIN_HISTORY before the date (an established
# history: a few stray files, like another device's or someone else's runs, cannot make
# one; a runner out once a week has 13 runs in 90 days, 9 of them 4 weeks old). Until
# then (the start of a history, or a thin spell) the 90 days before and after the date
# (a look-ahead, said as such, half the confidence, when later runs are in it); with
# fewer than MIN_RUNS runs there, no estimate (the run is typed from itself). A window
# never reaches past 90 days either way: files outside it never move a session's markers.
ESTIMATE_WINDOW = dt.timedelta(days=90)
MIN_HISTORY = dt.timedelta(days=28)
ESTABLISHED_RUNS = 10
WINDOW_RULE = (
    "best efforts of the 90 days up to each date once they hold 10 runs, 5 of them 4 weeks "
    "old or more; "
    "before that (the start of a history, a thin spell) the 90 days before and after the date "
    "(a look-ahead when later runs are in it, confidence halved); with fewer than 5 runs "
    "there, no estimate; "
    "confidence = runs in the window / 15, at most 1"
)
ESTIMATE_RULES = {
    "max_hr": "best 60 s HR in the window; at least LT2 HR / 0.87, never above the best "
    "60 s HR recorded (capped, and said so)",
    "lt2_hr": "best 20 min heart rate in the window (Friel's LTHR test), the middle of the "
    "window's 3 best runs",
    "lt1_hr": "88 % of LT2 heart rate",
    "threshold_speed_mps": "the better of best 60 min and 95 % of best 20 min speed in the "
    "window, each the middle of the window's 3 best runs",
    "threshold_power_w": "95 % of best 20 min power in the window, the middle of its 3 best runs",
}
# Threshold markers rest on the middle of the window's TOP_EFFORTS best runs, not the one
# best: a single outlier (a race, a hot day's drift, a strap spike) then moves nothing, and
# a short history (whose best efforts are fewer) reads about what the longer one does
# (issue 13: LT2 169.8 vs 174 bpm from one 15 km effort). Max HR stays the one best.
TOP_EFFORTS = 3
MEDIAN_OF_TOP = ("hr_20min", "speed_20min", "speed_60min", "power_20min")
# what each estimate rests on: peak column, effort length as a runner reads it
EVIDENCE = {
    "max_hr": ("hr_60s", "60 s"),
    "lt2_hr": ("hr_20min", "20 min"),
    "lt1_hr": ("hr_20min", "20 min"),
    "threshold_power_w": ("power_20min", "20 min"),
}
# runs in the window for full confidence (about a month of regular running)
FULL_CONFIDENCE_RUNS = 15
LT1_OF_LT2 = 0.88
# The lactate threshold lies at about 83-87 % of max HR (threshold-model.md section 2;
# the top of Olympiatoppen I3). Training rarely reaches true max HR, so the best 60 s
# is a lower bound; LT2 / 0.87 keeps the %max-HR zones consistent with the LT2 band,
# so an easy run is not called I3 because max HR was underestimated.
MAX_LT2_OF_MAX = 0.87
# An estimate rests on at least this many runs (one run's best effort says little).
MIN_RUNS = 5


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
    of_best: int = 1  # the middle of the window's `of_best` best runs (1: the best one)

    @property
    def confidence(self) -> float:
        """Runs in the window over FULL_CONFIDENCE_RUNS, halved for a look-ahead window."""
        share = min(1.0, self.runs / FULL_CONFIDENCE_RUNS)
        return round(share * (0.5 if self.looked_ahead else 1.0), 2)

    def evidence(self) -> str:
        """The effort it came from, in words."""
        if self.activity_id is None:
            return ""
        where = f"best {self.effort} of activity {self.activity_id} on {self.date}"
        return (
            where
            if self.of_best <= 1
            else f"{where} (the middle of the window's {self.of_best} best)"
        )

    def window_text(self) -> str:
        """The window in words."""
        ahead = " (look-ahead: too few runs before)" if self.looked_ahead else ""
        return f"{self.window[0]}..{self.window[1]}, {self.runs} runs{ahead}"


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
            cache[key] = _estimate(
                {c: columns[c].best(*spans[c], top=_top(c)) for c in PEAK_COLUMNS}
            )
        out[day] = cache[key]
    return out


def _top(column: str) -> int:
    """How many of the window's best runs a column's estimate takes the middle of."""
    return TOP_EFFORTS if column in MEDIAN_OF_TOP else 1


@dataclass(frozen=True)
class _Best:
    """The best value of one peak column in a window, and where it came from."""

    value: float
    activity_id: int | None
    date: dt.date
    window: tuple[dt.date, dt.date]
    runs: int
    looked_ahead: bool
    of_best: int = 1


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
        # runs at least MIN_HISTORY old: one stray file that far back makes no history
        older = bisect.bisect_right(self.dates, day - MIN_HISTORY) - lo
        if hi - lo >= ESTABLISHED_RUNS and older >= MIN_RUNS:
            return lo, hi, False
        # anchored on the day: no older file moves it (best() wants MIN_RUNS runs in it);
        # a look-ahead only when runs after the day are in it
        ahead = bisect.bisect_right(self.dates, day + ESTIMATE_WINDOW)
        return lo, ahead, ahead > hi

    def best(self, lo: int, hi: int, ahead: bool, top: int = 1) -> _Best | None:
        """The middle of the window's `top` highest values (top 1: the highest), or None
        when fewer than MIN_RUNS runs carry it."""
        if hi - lo < MIN_RUNS:
            return None
        order = np.argsort(-self.values[lo:hi], kind="stable")[:top]
        k = lo + int(order[len(order) // 2])
        window = (self.dates[lo], self.dates[hi - 1])
        value, aid, date = float(self.values[k]), self.ids[k], self.dates[k]
        return _Best(value, aid, date, window, hi - lo, ahead, len(order))


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
        best.of_best,
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
