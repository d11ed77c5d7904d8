"""A session's samples as a light trace for its chart: minutes, pace, HR, power (pure polars)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from terskel.reports.format import duration
from terskel.reports.outing import Outing

# About this many points per trace: enough to see reps, small enough for the page.
POINTS = 300
# Slower than this is walking or standing: no pace point (it would squash the axis).
SLOWEST_S_PER_KM = 600.0
SMOOTH = 5


@dataclass(frozen=True)
class Trace:
    """(minute, pace s/km, HR, power W) rows and the reps as (start, end, tip) minutes."""

    rows: list[tuple[float, float | None, float | None, float | None]]
    spans: list[tuple[float, float, str]]


def session_trace(outing: Outing, samples: pl.DataFrame) -> Trace:
    """The outing's samples (its files one after another in time) as one trace."""
    frame = samples.filter(pl.col("activity_id").is_in(list(outing.activity_ids))).sort("t")
    if frame.height < 2:
        return Trace([], [])
    start: dt.datetime = frame["t"][0]
    minutes = (pl.col("t") - start).dt.total_seconds() / 60
    bucket = max((frame["t"][-1] - start).total_seconds() / 60 / POINTS, 1 / 60)
    power = pl.col("power_w") if "power_w" in frame.columns else pl.lit(None, pl.Float64)
    binned = (
        frame.with_columns(minute=minutes, power=power.cast(pl.Float64))
        .with_columns(bin=(pl.col("minute") / bucket).floor())
        .group_by("bin", maintain_order=True)
        .agg(
            pl.col("minute").mean(),
            pl.col("speed_mps").median().alias("speed"),
            pl.col("heart_rate").median().alias("hr"),
            pl.col("power").median(),
        )
        .with_columns(
            # a rolling median over a few points: GPS pace jitters, the reps still stand out
            pl.col("speed", "hr", "power").rolling_median(SMOOTH, min_samples=1, center=True)
        )
        .with_columns(
            pace=pl.when(pl.col("speed") > 1000 / SLOWEST_S_PER_KM).then(1000 / pl.col("speed"))
        )
    )
    rows: list[tuple[float, float | None, float | None, float | None]] = []
    for m, p, h, w in binned.select("minute", "pace", "hr", "power").iter_rows():
        if rows and m - rows[-1][0] > 3 * bucket:  # a pause or a gap between files: break
            rows.append((rows[-1][0] + bucket, None, None, None))
        rows.append((float(m), _opt(p), _opt(h), _opt(w)))
    return Trace(rows, _spans(outing, start))


def _spans(outing: Outing, start: dt.datetime) -> list[tuple[float, float, str]]:
    spans = []
    for rep in outing.reps:
        if rep.start_utc is None or not rep.duration_s:
            continue
        begin = (rep.start_utc - start).total_seconds() / 60
        tip = f"rep {rep.number}: {duration(rep.duration_s)}"
        spans.append((begin, begin + rep.duration_s / 60, tip))
    return spans


def _opt(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
