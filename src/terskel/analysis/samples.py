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


def _in_block(x: pl.Expr, *, ffill: bool = False, bfill: bool = False) -> pl.Expr:
    """`x.interpolate()` (then forward / backward filled) within each `block`.

    The same values as the window `.over("block")` but computed over the whole
    grid at once: an interpolated value counts only where a known value of the
    same block lies on both sides, a filled one only where the value it copies
    is of the same block (blocks are numbered over all activities).
    """
    b = pl.col("block")
    known = pl.when(x.is_not_null()).then(b)
    known_before = known.forward_fill() == b
    known_after = known.backward_fill() == b
    v: pl.Expr = pl.when(known_before & known_after).then(x.interpolate())
    if ffill:
        v = v.fill_null(pl.when(known_before).then(x.forward_fill()))
    if bfill:
        v = v.fill_null(pl.when(known_after).then(x.backward_fill()))
    return v


def to_grid(samples: pl.LazyFrame, params: GridParams = GridParams()) -> pl.LazyFrame:
    """One row per activity second: activity_id, ts (epoch s), block, t, speed and sensors.

    `block` numbers the stretches between unfilled gaps; `speed` is the
    smoothed derived speed in m/s (never null), `speed_raw` before smoothing;
    `paused` marks filled seconds of an auto-pause (see `GridParams`).
    """
    cols = ["distance_m", "speed_mps", "heart_rate", "cadence_spm", "power_w", "altitude_m"]
    if "altitude_m" not in samples.collect_schema().names():
        samples = samples.with_columns(altitude_m=pl.lit(None, pl.Float64))
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
            .set_sorted()
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
    # block numbers are unique over all activities: per-block fills are global
    # fills masked to the block (see `_in_block`), no window per block needed
    dist = _in_block(pl.col("distance_m"), ffill=True, bfill=True)
    block = pl.col("block")
    return (
        grid.with_columns(
            distance_m=dist,
            speed_mps=_in_block(pl.col("speed_mps"), ffill=True),
            heart_rate=_in_block(pl.col("heart_rate")),
            cadence_spm=_in_block(pl.col("cadence_spm")),
            power_w=_in_block(pl.col("power_w")),
        )
        .with_columns(
            speed_raw=pl.when(
                pl.col("distance_m").is_not_null().any().over(pl.col("activity_id").set_sorted())
            )
            .then(
                pl.when(block == block.shift(1))
                .then(pl.col("distance_m").diff())
                .clip(lower_bound=0.0)
            )
            .otherwise(pl.col("speed_mps"))
        )
        .with_columns(
            speed_raw=pl.when(pl.col("speed_raw") > params.max_speed_mps)
            .then(None)
            .otherwise(pl.col("speed_raw"))
        )
        .with_columns(speed_raw=_in_block(pl.col("speed_raw"), ffill=True, bfill=True))
        .with_columns(
            speed=pl.col("speed_raw")
            .rolling_median(params.smooth_s, min_samples=1, center=True)
            .over(block.set_sorted())
            .fill_null(0.0),
            t=pl.from_epoch("ts", time_unit="s").cast(pl.Datetime("ms")),
        )
    )
