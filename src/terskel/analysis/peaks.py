"""Best efforts per activity (the peaks the marker estimates read)."""

from __future__ import annotations

import datetime as dt

import polars as pl

AID = "activity_id"
# The best-effort columns of activity_peaks that estimates read.
PEAK_COLUMNS = ("hr_60s", "hr_20min", "speed_20min", "speed_60min", "power_20min")
PEAK_BIN_S = 10
# the sample columns best efforts read
PEAK_SAMPLE_COLUMNS = (AID, "t", "heart_rate", "distance_m", "power_w")


def activity_peaks(samples: pl.LazyFrame, local_dates: pl.LazyFrame) -> pl.LazyFrame:
    """Per activity: best 60 s and 20 min HR, best 20 and 60 min speed, best 20 min power.

    `local_dates`: activity_id, local_date. Samples are first averaged into
    PEAK_BIN_S bins (10x fewer rows; a 60 s window is still 6 bins). Windows
    are wall-clock and must really span their length.
    """
    s = (
        samples.select(PEAK_SAMPLE_COLUMNS)
        .with_columns(
            heart_rate=pl.when(pl.col("heart_rate").is_between(30, 230)).then(pl.col("heart_rate")),
            t=pl.col("t").dt.truncate(f"{PEAK_BIN_S}s"),
        )
        .group_by(AID, "t")
        .agg(pl.col("heart_rate").mean(), pl.col("distance_m").max(), pl.col("power_w").mean())
        .sort(AID, "t")
        .with_columns(since_start=(pl.col("t") - pl.col("t").min().over(AID)).dt.total_seconds())
        .collect()  # materialised once: the six best efforts below all read the bins
        .lazy()
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
