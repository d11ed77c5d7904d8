"""Samples on a regular 1 s grid with a speed derived from distance over time.

Recorded samples arrive every second or with "smart recording" gaps of a few
seconds, stop during auto-pause and sometimes jump (a clock reset). Interval
detection needs one row per second and a speed that does not depend on the
device's own (often heavily smoothed or missing) speed field, so this module
rebuilds a grid per activity and differentiates distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class GridParams:
    """How recorded samples become a 1 s grid.

    max_fill_gap_s: gaps between samples up to this long are filled second by
        second (smart recording, auto-pause, standing still); longer gaps (a
        clock jump, a stop of many minutes) are not filled: the grid jumps.
    max_speed_mps: a derived speed above this is a GPS jump, not running, and
        is replaced by interpolation (12 m/s is faster than any sprinter).
    smooth_s: width of the centred rolling median that removes GPS jitter.
    pause_gap_s / pause_max_m: a gap between recorded samples of at least
        pause_gap_s seconds over which the distance advances less than
        pause_max_m metres is an auto-pause (or a stopped timer): its filled
        seconds are marked `paused` and do not count as timer time. Smart
        recording leaves gaps of a few seconds (up to ~13 s) while moving,
        but then the distance advances.
    """

    max_fill_gap_s: int = 900
    max_speed_mps: float = 12.0
    smooth_s: int = 7
    pause_gap_s: int = 10
    pause_max_m: float = 1.0


def _epoch_s() -> pl.Expr:
    return (pl.col("t").dt.epoch("ms") / 1000.0).round(0).cast(pl.Int64)


def to_grid(samples: pl.LazyFrame, params: GridParams = GridParams()) -> pl.LazyFrame:
    """One row per activity second: activity_id, ts (epoch s), block, t, speed and sensors.

    `block` numbers the stretches between unfilled gaps; `speed` is the
    smoothed derived speed in m/s (never null), `speed_raw` before smoothing;
    `paused` marks filled seconds of an auto-pause (see `GridParams`).
    """
    cols = ["distance_m", "speed_mps", "heart_rate", "cadence_spm", "power_w"]
    aid, ts = pl.col("activity_id"), pl.col("ts")
    same_act = aid == aid.shift(1)
    recorded = (
        samples.select("activity_id", "t", *cols)
        .with_columns(ts=_epoch_s())
        .sort("activity_id", "ts", maintain_order=True)
        # one sample per second: the last one recorded in it
        .filter(((ts != ts.shift(-1)) | (aid != aid.shift(-1))).fill_null(True))
        .with_columns(
            # blocks are numbered over all activities; a new one at each unfilled gap
            block=(~same_act | ((ts - ts.shift(1)) > params.max_fill_gap_s))
            .fill_null(True)
            .cum_sum()
            .cast(pl.Int32)
        )
    )
    # each recorded sample stands for the seconds up to the next one of its block;
    # exploding keeps the order, so the grid needs neither a join nor a sort
    same_block = pl.col("block") == pl.col("block").shift(-1)
    nxt = pl.when(same_block).then(ts.shift(-1)).otherwise(ts + 1)
    d = pl.col("distance_m")
    pause = (
        same_block
        & (ts.shift(-1) - ts >= params.pause_gap_s)
        & ((d.shift(-1) - d).abs() < params.pause_max_m)
    )
    grid = (
        recorded.with_columns(
            sec=pl.int_ranges(ts, nxt.fill_null(ts + 1)), pause=pause.fill_null(False)
        )
        .explode("sec")
        .with_columns(
            *(pl.when(pl.col("sec") == ts).then(pl.col(c)).alias(c) for c in cols),
            paused=pl.col("pause") & (pl.col("sec") != ts),
        )
        .drop("pause")
        .drop("ts", "t")
        .rename({"sec": "ts"})
    )
    key = ["activity_id", "block"]
    dist = pl.col("distance_m").interpolate().forward_fill().backward_fill().over(key)
    return (
        grid.with_columns(
            distance_m=dist,
            speed_mps=pl.col("speed_mps").interpolate().forward_fill().over(key),
            heart_rate=pl.col("heart_rate").interpolate().over(key),
            cadence_spm=pl.col("cadence_spm").interpolate().over(key),
            power_w=pl.col("power_w").interpolate().over(key),
        )
        .with_columns(
            speed_raw=pl.when(pl.col("distance_m").is_not_null().any().over("activity_id"))
            .then(pl.col("distance_m").diff().over(key).clip(lower_bound=0.0))
            .otherwise(pl.col("speed_mps"))
        )
        .with_columns(
            speed_raw=pl.when(pl.col("speed_raw") > params.max_speed_mps)
            .then(None)
            .otherwise(pl.col("speed_raw"))
        )
        .with_columns(
            speed_raw=pl.col("speed_raw").interpolate().forward_fill().backward_fill().over(key)
        )
        .with_columns(
            speed=pl.col("speed_raw")
            .rolling_median(params.smooth_s, min_samples=1, center=True)
            .over(key)
            .fill_null(0.0),
            t=pl.from_epoch("ts", time_unit="s").cast(pl.Datetime("ms")),
        )
    )
