"""Lactate: the athlete's reading-to-HR/pace fit with its quality bar, readings on reps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

import numpy as np
import polars as pl

AID = "activity_id"
# Threshold band: lactate 2-3 mmol/L (threshold-model.md sections 2-3), or proxies.
LACTATE_BAND = (2.0, 3.0)
MIN_FIT_READINGS = 5
# The quality bar of a lactate fit (else it is a hint and is not used): readings from two
# sessions or more, spanning 2-3 mmol/L (within FIT_SPAN_SLACK), R² >= MIN_FIT_R2 and a
# band as wide as a real 2-3 mmol/L band can be (the LT2 proxy is ~13 bpm / ~8 % wide)
MIN_FIT_SESSIONS = 2
FIT_SPAN_SLACK = 0.3
MIN_FIT_R2 = 0.6
FIT_WIDTH = {"hr": (6.0, 25.0), "speed": (0.03, 0.20)}


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
