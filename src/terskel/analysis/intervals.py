"""Interval-structure detection: warm-up, work reps, recoveries, sets and a label.

Two sources of structure, tried in this order per activity:

1. Laps, when they describe the workout: workout-step laps (intensity
   active/rest or a repeating `wkt_step_index`) are trusted as they are;
   manual laps that alternate fast and slow become rep candidates.
2. Streams: speed on a 1 s grid (see `samples.to_grid`), a per-activity
   fast/slow threshold from a two-cluster split (Otsu), short blips merged,
   fast stretches kept as rep candidates.

Candidates from either source go through the same test: a set is a run of
>= `min_reps` reps of similar length with short, clearly slower recoveries
between them. Anything that does not repeat (a progression, a climb, a stop
at a traffic light) is not a rep, so steady runs come out as `continuous`.
Boundaries from streams are refined to the steepest speed change nearby;
heart rate lags effort and is never used for boundaries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import polars as pl

from terskel.analysis.samples import GridParams

AID = "activity_id"

SEGMENT_SCHEMA: dict[str, pl.DataType] = {
    "activity_id": pl.Int64(),
    "seg_index": pl.Int32(),
    "kind": pl.String(),
    "set_no": pl.Int32(),
    "rep_no": pl.Int32(),
    "start_utc": pl.Datetime("ms"),
    "end_utc": pl.Datetime("ms"),
    "duration_s": pl.Float64(),
    "distance_m": pl.Float64(),
    "avg_speed_mps": pl.Float64(),
    "max_speed_mps": pl.Float64(),
    "avg_hr": pl.Float64(),
    "max_hr": pl.Float64(),
    "avg_hr_2nd_half": pl.Float64(),
    "avg_cadence_spm": pl.Float64(),
    "avg_power_w": pl.Float64(),
    "source": pl.String(),
}

LABEL_SCHEMA: dict[str, pl.DataType] = {
    "activity_id": pl.Int64(),
    "label": pl.String(),
    "source": pl.String(),
    "n_work": pl.UInt32(),
}


@dataclass(frozen=True)
class IntervalParams:
    """Every threshold of interval detection, with its physical meaning.

    Streams, classification:
    - otsu_bin_mps: histogram bin width for the two-cluster speed split.
    - min_moving_mps: speeds below this are standing/walking; they count as
      slow but do not take part in choosing the fast/slow threshold's upper
      cluster (they still sit in the lower one).
    - min_blip_s: a fast or slow stretch shorter than this is noise (a GPS
      jump, a crossing) and joins its neighbours.

    Reps and sets (both sources):
    - min_rep_s / max_rep_s: shortest and longest plausible work rep.
    - min_reps: reps a set needs before it counts as intervals at all.
    - max_rep_ratio: a rep longer/shorter than its predecessor by more than
      this factor starts a new set.
    - max_rep_cv: coefficient of variation of rep durations (or distances,
      whichever is tighter) allowed within a set.
    - max_recovery_factor / min_max_recovery_s: a pause longer than
      max(factor x rep duration, min) ends the set (between sets, warm-up).
    - min_contrast: reps must be this much faster than their recoveries
      (0.2 = 20 % faster).
    - max_rep_speed_cv: reps of one set run at similar speed.
    - extra_rep_speed_frac / extra_rep_contrast: a lone fast stretch outside
      the main set is an extra rep (`+ 1x1km`) only when it is nearly as fast
      as the main reps and clearly faster than the jog around it.

    Boundaries:
    - refine_window_s: a stream boundary moves to the steepest speed change
      within this many seconds.
    - refine_lag_s: half-width of the speed difference used to find it.

    Laps:
    - auto_lap_tolerance: laps whose distances (or times) all agree within
      this fraction are auto-laps and say nothing about the workout.
    """

    grid: GridParams = field(default_factory=GridParams)
    otsu_bin_mps: float = 0.05
    min_moving_mps: float = 0.5
    min_blip_s: int = 10
    min_rep_s: float = 20.0
    max_rep_s: float = 1500.0
    min_reps: int = 3
    max_rep_ratio: float = 1.6
    max_rep_cv: float = 0.25
    max_recovery_factor: float = 3.0
    min_max_recovery_s: float = 180.0
    min_contrast: float = 0.2
    max_rep_speed_cv: float = 0.12
    extra_rep_speed_frac: float = 0.85
    extra_rep_contrast: float = 0.3
    refine_window_s: int = 8
    refine_lag_s: int = 2
    auto_lap_tolerance: float = 0.02


# --------------------------------------------------------------------------- streams


def _otsu(grid: pl.LazyFrame, p: IntervalParams) -> pl.LazyFrame:
    """Per activity: `thr`, the speed that best splits samples into two clusters."""
    bw = p.otsu_bin_mps
    cap = p.grid.max_speed_mps
    return (
        grid.filter(pl.col("speed") >= p.min_moving_mps)
        .with_columns(bin=(pl.col("speed").clip(0.0, cap) / bw).floor().cast(pl.Int32))
        .group_by(AID, "bin")
        .agg(n=pl.len().cast(pl.Float64))
        .sort(AID, "bin")
        .with_columns(x=(pl.col("bin") + 0.5) * bw)
        .with_columns(
            c=pl.col("n").cum_sum().over(AID),
            s=(pl.col("n") * pl.col("x")).cum_sum().over(AID),
            big_n=pl.col("n").sum().over(AID),
            big_s=(pl.col("n") * pl.col("x")).sum().over(AID),
        )
        .filter(pl.col("c") < pl.col("big_n"))
        .with_columns(
            bv=pl.col("c")
            * (pl.col("big_n") - pl.col("c"))
            * (
                pl.col("s") / pl.col("c")
                - (pl.col("big_s") - pl.col("s")) / (pl.col("big_n") - pl.col("c"))
            )
            ** 2
        )
        .group_by(AID)
        .agg(thr=((pl.col("bin") + 1) * bw).sort_by("bv").last())
    )


def _runs(grid: pl.LazyFrame, thr: pl.LazyFrame, p: IntervalParams) -> pl.LazyFrame:
    """Alternating fast/slow stretches per activity after merging short blips."""
    g = grid.join(thr, on=AID, how="left").with_columns(
        fast=pl.col("speed") > pl.col("thr").fill_null(math.inf)
    )
    rid = pl.struct("fast", "block").rle_id().over(AID)
    g = (
        g.with_columns(rid=rid)
        .with_columns(
            fast=pl.when(pl.len().over(AID, "rid") < p.min_blip_s)
            .then(None)
            .otherwise(pl.col("fast"))
        )
        .with_columns(fast=pl.col("fast").forward_fill().backward_fill().over(AID))
        .with_columns(rid=rid)
    )
    return (
        g.group_by(AID, "rid")
        .agg(
            fast=pl.col("fast").first(),
            start=pl.col("ts").first(),
            end=pl.col("ts").last() + 1,
            n=pl.len().cast(pl.Float64),
            dist=pl.col("speed_raw").sum(),
        )
        .sort(AID, "rid")
    )


def _candidates_from_runs(runs: pl.LazyFrame, p: IntervalParams) -> pl.LazyFrame:
    """Fast stretches long enough to be reps: activity_id, start, end, n, dist."""
    return runs.filter(
        pl.col("fast") & (pl.col("n") >= p.min_rep_s) & (pl.col("n") <= p.max_rep_s)
    ).select(AID, "start", "end", "n", "dist")


# --------------------------------------------------------------------------- sets


def _with_gaps(cands: pl.LazyFrame, grid: pl.LazyFrame) -> pl.LazyFrame:
    """Add for each candidate the slow gap before it: gap_n (s) and gap_dist (m)."""
    cum = grid.select(AID, "ts", cd=pl.col("speed_raw").cum_sum().over(AID))
    c = cands.sort(AID, "start").with_columns(
        prev_end=pl.col("end").shift(1).over(AID),
        prev_n=pl.col("n").shift(1).over(AID),
        next_start=pl.col("start").shift(-1).over(AID),
    )
    # grid seconds (not wall-clock) between reps, so clock jumps do not count
    c = c.join(cum.rename({"ts": "start", "cd": "cd_start"}), on=[AID, "start"], how="left").join(
        cum.rename({"ts": "prev_end", "cd": "cd_prev"}), on=[AID, "prev_end"], how="left"
    )
    pos = grid.select(AID, "ts", pos=pl.int_range(pl.len()).over(AID))
    c = c.join(pos.rename({"ts": "start", "pos": "p_start"}), on=[AID, "start"], how="left").join(
        pos.rename({"ts": "prev_end", "pos": "p_prev"}), on=[AID, "prev_end"], how="left"
    )
    return c.with_columns(
        gap_n=(pl.col("p_start") - pl.col("p_prev")).cast(pl.Float64),
        gap_wall=(pl.col("start") - pl.col("prev_end")).cast(pl.Float64),
        gap_dist=pl.col("cd_start") - pl.col("cd_prev"),
    ).drop("cd_start", "cd_prev", "p_start", "p_prev")


def _cv(col: str) -> pl.Expr:
    return (pl.col(col).std(ddof=0) / pl.col(col).mean()).fill_null(0.0)


def _sets(cands: pl.LazyFrame, p: IntervalParams, trusted: bool) -> pl.LazyFrame:
    """Group candidates into sets and keep the reps of valid sets.

    Input: activity_id, start, end, n, dist, gap_n, gap_wall, gap_dist (gap before).
    Output adds set_no, rep_no; rows that are not reps are dropped.
    """
    speed = pl.col("dist") / pl.col("n")
    prev_speed = speed.shift(1).over(AID)
    ratio = pl.max_horizontal(pl.col("n") / pl.col("prev_n"), pl.col("prev_n") / pl.col("n"))
    max_gap = pl.max_horizontal(
        p.max_recovery_factor * pl.max_horizontal("n", "prev_n"), pl.lit(p.min_max_recovery_s)
    )
    gap_speed = pl.col("gap_dist") / pl.col("gap_n")
    contrast_ok = gap_speed * (1.0 + p.min_contrast) <= pl.min_horizontal(speed, prev_speed)
    joined = (
        pl.col("prev_end").is_not_null()
        & (pl.col("gap_wall") == pl.col("gap_n"))
        & (ratio <= p.max_rep_ratio)
        & (pl.col("gap_n") <= max_gap)
    )
    if not trusted:
        joined = joined & contrast_ok
    c = cands.sort(AID, "start").with_columns(
        speed=speed,
        new_set=~joined,
    )
    c = c.with_columns(
        set_id=pl.col("new_set").cum_sum().over(AID),
        in_set_gap=pl.when(pl.col("new_set")).then(None).otherwise(gap_speed),
    )
    agg_over = [AID, "set_id"]
    c = c.with_columns(
        set_n=pl.len().over(agg_over),
        set_speed=pl.col("speed").median().over(agg_over),
        set_cv=pl.min_horizontal(_cv("n").over(agg_over), _cv("dist").over(agg_over)),
        set_speed_cv=_cv("speed").over(agg_over),
        set_gap_speed=pl.col("in_set_gap").mean().over(agg_over),
    )
    if trusted:
        c = c.with_columns(primary=pl.lit(True), keep=pl.lit(True))
    else:
        primary = (
            (pl.col("set_n") >= p.min_reps)
            & (pl.col("set_cv") <= p.max_rep_cv)
            & (pl.col("set_speed_cv") <= p.max_rep_speed_cv)
            & (pl.col("set_gap_speed") * (1.0 + p.min_contrast) <= pl.col("set_speed"))
        )
        c = c.with_columns(primary=primary)
        main_speed = pl.col("set_speed").filter(pl.col("primary")).median().over(AID)
        # a secondary set must be as clearly faster than the jog around it
        around = pl.max_horizontal(
            gap_speed.fill_null(0.0),
            (pl.col("gap_dist") / pl.col("gap_n")).shift(-1).over(AID).fill_null(0.0),
        )
        extra = (
            (pl.col("speed") >= p.extra_rep_speed_frac * main_speed)
            & (pl.col("speed") >= (1.0 + p.extra_rep_contrast) * around)
            & (pl.col("set_n") < p.min_reps)
        )
        c = c.with_columns(
            keep=pl.col("primary") | (extra.all().over(agg_over) & main_speed.is_not_null())
        )
    c = c.filter(pl.col("keep"))
    return c.with_columns(
        set_no=pl.col("set_id").rank("dense").over(AID).cast(pl.Int32),
        rep_no=pl.int_range(1, pl.len() + 1).over(AID, "set_id").cast(pl.Int32),
    ).select(AID, "start", "end", "set_no", "rep_no")
