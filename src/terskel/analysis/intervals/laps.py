"""Structure from laps, when they describe the workout.

Workout-step laps (intensity active/rest, or a repeating `wkt_step_index`
where the watch writes no intensity) are trusted as they are: each work step
is a rep, consecutive reps of one step are a set. Manual laps that alternate
fast and slow become rep candidates that go through the same grammar as the
streams' (see `structure`). Auto laps (every 1 km / 500 m / 400 m, all alike)
say nothing about the workout and are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

AID = "activity_id"
_WORK = ("active", "interval")
_REST = ("rest", "recovery")


@dataclass(frozen=True)
class LapParams:
    """Thresholds of the lap reading.

    - min_rep_s / max_rep_s: shortest and longest lap that can be a rep.
    - min_laps: manual laps an activity needs before they can hold a set
      (two reps and their recoveries, a warm-up and a cool-down).
    - auto_lap_tolerance: laps whose distances (or times) all agree within
      this fraction are auto laps.
    - same_pace: consecutive fast manual laps are one rep (a rep the watch
      split) only within this relative pace difference.
    """

    min_rep_s: float = 10.0
    max_rep_s: float = 1800.0
    min_laps: int = 6
    auto_lap_tolerance: float = 0.02
    same_pace: float = 0.15


def _epoch(col: str) -> pl.Expr:
    return (pl.col(col).dt.epoch("ms") / 1000.0).round(0).cast(pl.Int64)


def lap_table(laps: pl.LazyFrame) -> pl.LazyFrame:
    """Laps with epoch-second bounds, length, speed and how their activity marks steps."""
    n = pl.col("timer_s").fill_null(pl.col("elapsed_s"))
    lf = (
        laps.sort(AID, "lap_index")
        .with_columns(start=_epoch("start_utc"), end=_epoch("end_utc"), n=n, dist="distance_m")
        .with_columns(speed=pl.col("dist") / pl.col("n"))
    )
    is_rest = pl.col("intensity").is_in(_REST)
    is_act = pl.col("intensity").is_in(_WORK)
    step = pl.col("wkt_step_index")
    step_runs = (
        pl.when(step.is_not_null() & (step != step.shift(1).over(AID)).fill_null(True))
        .then(1)
        .otherwise(0)
        .sum()
        .over(AID, "wkt_step_index")
    )
    return lf.with_columns(
        by_intensity=is_rest.any().over(AID) & is_act.any().over(AID),
        step_repeats=step_runs >= 2,
    ).with_columns(by_steps=pl.col("step_repeats").any().over(AID) & ~pl.col("by_intensity"))


def trusted_reps(lt: pl.LazyFrame, p: LapParams) -> pl.LazyFrame:
    """Work laps of workout-step activities: activity_id, start, end, n, dist, step, tail_end."""
    is_rest = pl.col("intensity").is_in(_REST)
    near_rest = is_rest.shift(1).over(AID).fill_null(False) | is_rest.shift(-1).over(AID).fill_null(
        False
    )
    rep_speed = pl.col("speed").filter(pl.col("step_repeats")).mean().over(AID, "wkt_step_index")
    work_step = pl.col("step_repeats") & (
        rep_speed == rep_speed.filter(pl.col("step_repeats")).max().over(AID)
    )
    rest_step = pl.col("step_repeats") & ~work_step
    lf = lt.filter(pl.col("by_intensity") | pl.col("by_steps")).with_columns(
        work=pl.when(pl.col("by_intensity"))
        .then(pl.col("intensity").is_in(_WORK) & near_rest)
        .otherwise(work_step),
        rest=pl.when(pl.col("by_intensity")).then(is_rest).otherwise(rest_step),
    )
    # a lap outside the steps as fast as the reps is one more rep (`+ 1x1km`)
    work_speed = pl.col("speed").filter(pl.col("work")).median().over(AID)
    other_speed = pl.col("speed").filter(~pl.col("work")).median().over(AID)
    extra = (
        ~pl.col("work")
        & ~pl.col("rest")
        & (pl.col("n") >= p.min_rep_s)
        & (pl.col("speed") > (work_speed + other_speed) / 2)
    )
    lf = lf.with_columns(work=pl.col("work") | extra.fill_null(False))
    # trailing rest laps after the last rep belong to it (a `3min/5min` last step)
    # (the last work lap is a column before the filter: a window evaluated after
    # it would see no work laps left)
    lf = lf.with_columns(last_work=pl.col("lap_index").filter(pl.col("work")).max().over(AID))
    tail = (
        lf.filter(pl.col("rest") & (pl.col("lap_index") > pl.col("last_work")))
        .with_columns(k=pl.col("lap_index") - pl.col("last_work"))
        .filter(pl.col("k") == pl.int_range(1, pl.len() + 1).over(AID))
        .group_by(AID)
        .agg(tail_end=pl.col("end").max())
    )
    w = lf.filter(pl.col("work")).with_columns(
        grp=(
            (pl.col("lap_index") != pl.col("lap_index").shift(1).over(AID) + 1)
            | (pl.col("wkt_step_index") != pl.col("wkt_step_index").shift(1).over(AID)).fill_null(
                False
            )
        )
        .cum_sum()
        .over(AID)
    )
    return (
        w.group_by(AID, "grp")
        .agg(
            start=pl.col("start").first(),
            end=pl.col("end").last(),
            n=pl.col("n").sum(),
            dist=pl.col("dist").sum(),
            step=pl.col("wkt_step_index").first(),
        )
        .drop("grp")
        .join(tail, on=AID, how="left")
        .sort(AID, "start")
    )


def manual_candidates(lt: pl.LazyFrame, p: LapParams) -> pl.LazyFrame:
    """Fast stretches of manual (not auto, not workout-step) laps: activity_id, start, end."""
    body = pl.col("lap_index") < pl.col("lap_index").max().over(AID)
    spread = pl.min_horizontal(
        (pl.col("dist").filter(body).max() / pl.col("dist").filter(body).min()).over(AID),
        (pl.col("n").filter(body).max() / pl.col("n").filter(body).min()).over(AID),
    )
    lf = lt.filter(
        ~pl.col("by_intensity")
        & ~pl.col("by_steps")
        & (pl.len().over(AID) >= p.min_laps)
        & (spread > 1.0 + p.auto_lap_tolerance)
    )
    thr = (pl.col("speed").quantile(0.1) + pl.col("speed").quantile(0.9)).over(AID) / 2
    # consecutive fast laps are one rep (a rep the watch split in two) only at
    # the same pace: a warm-up lap run straight into the first rep is not part of it
    prev = pl.col("speed").shift(1).over(AID)
    step = ((pl.col("speed") / prev - 1.0).abs() > p.same_pace).fill_null(True)
    lf = lf.with_columns(fast=pl.col("speed") > thr).with_columns(
        rid=(pl.col("fast") != pl.col("fast").shift(1).over(AID)).fill_null(True) | step
    )
    lf = lf.with_columns(rid=pl.col("rid").cum_sum().over(AID))
    return (
        lf.filter(pl.col("fast"))
        .group_by(AID, "rid")
        .agg(start=pl.col("start").first(), end=pl.col("end").last(), n=pl.col("n").sum())
        .filter((pl.col("n") >= p.min_rep_s) & (pl.col("n") <= p.max_rep_s))
        .drop("rid")
        .sort(AID, "start")
    )
