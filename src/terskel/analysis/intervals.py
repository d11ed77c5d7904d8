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
from typing import Literal

import polars as pl
import polars.selectors as cs

from terskel.analysis.samples import GridParams, to_grid

AID = "activity_id"
# epoch seconds stay below this until 2106: (activity ordinal, second) as one sorted key
_KEY_SPAN = 1 << 32

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
    - max_rep_speed_step: a rep more than this much slower/faster than the
      previous one starts a new set (the cool-down is not one more rep).
    - max_recovery_cv: recoveries of one set are prescribed, so similar in
      length; irregular pauses (traffic lights, photo stops) are not.
    - extra_rep_speed_frac / extra_rep_contrast: a lone fast stretch outside
      the main set is an extra rep (`+ 1x1km`) only when it is nearly as fast
      as the main reps and clearly faster than the jog around it.
    - extra_rep_min_frac: ... and at least this fraction of a main rep's length
      (a 20 s surge in the warm-up is not a rep).

    Sets that change:
    - change_noise_s: how far apart (s) two stream durations must be before
      they count as different: two boundaries, each a few seconds off. A set
      splits where its reps or recoveries step by more than this and more
      than they vary within either part (see `_split_at_step`).

    Boundaries:
    - refine_window_s: a stream boundary moves to the steepest speed change
      within this many seconds.
    - refine_lag_s: half-width of the speed difference used to find it.

    Two sets at different speeds:
    - slow_side_split: in activities with a set, split the slow side again
      (same two-cluster method) and add the full sets found there that do
      not overlap the reps found already (see `_with_slow_side_sets`).

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
    max_recovery_cv: float = 0.3
    max_rep_speed_step: float = 0.15
    extra_rep_speed_frac: float = 0.85
    extra_rep_contrast: float = 0.3
    extra_rep_min_frac: float = 0.5
    change_noise_s: float = 10.0
    refine_window_s: int = 8
    refine_lag_s: int = 2
    auto_lap_tolerance: float = 0.02
    slow_side_split: bool = True


# --------------------------------------------------------------------------- streams


def _otsu(grid: pl.LazyFrame, p: IntervalParams) -> pl.LazyFrame:
    """Per activity: `thr`, the speed that best splits samples into two clusters.

    The split is tried on all samples and on moving samples only; the one
    that separates better (higher between-class share of the variance) wins:
    standing recoveries need the first, a single long stop in a run with
    walking recoveries needs the second.
    """
    bw = p.otsu_bin_mps
    cap = p.grid.max_speed_mps
    hist = (
        grid.with_columns(bin=(pl.col("speed").clip(0.0, cap) / bw).floor().cast(pl.Int32))
        .group_by(AID, "bin")
        .agg(n=pl.len().cast(pl.Float64))
    )
    moving = hist.filter(pl.col("bin") * bw >= p.min_moving_mps)
    both = pl.concat([hist.with_columns(variant=pl.lit(0)), moving.with_columns(variant=pl.lit(1))])
    key = [AID, "variant"]
    x = pl.col("x")
    return (
        both.sort(AID, "variant", "bin")
        .with_columns(x=(pl.col("bin") + 0.5) * bw)
        .with_columns(
            c=pl.col("n").cum_sum().over(key),
            s=(pl.col("n") * x).cum_sum().over(key),
            big_n=pl.col("n").sum().over(key),
            big_s=(pl.col("n") * x).sum().over(key),
            var=(
                (pl.col("n") * x * x).sum() / pl.col("n").sum()
                - ((pl.col("n") * x).sum() / pl.col("n").sum()) ** 2
            ).over(key),
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
            / pl.col("big_n") ** 2
        )
        .with_columns(eta=pl.col("bv") / pl.col("var"))
        .group_by(key)
        .agg(
            thr=((pl.col("bin") + 1) * bw).sort_by("bv").last(),
            eta=pl.col("eta").max(),
        )
        .group_by(AID)
        .agg(pl.col("thr").sort_by("eta").last())
    )


def _with_thr(grid: pl.LazyFrame, thr: pl.LazyFrame) -> pl.LazyFrame:
    """Add each activity's `thr` to the grid rows (null for activities without one).

    An asof join on the sorted activity ids keeps the grid's order (an
    order-keeping hash join is ten times slower).
    """
    right = thr.select(AID, "thr").sort(AID).with_columns(_thr_aid=pl.col(AID))
    return (
        grid.join_asof(right, on=AID, strategy="backward")
        .with_columns(thr=pl.when(pl.col("_thr_aid") == pl.col(AID)).then(pl.col("thr")))
        .drop("_thr_aid")
    )


def _runs(grid: pl.LazyFrame, thr: pl.LazyFrame, p: IntervalParams) -> pl.LazyFrame:
    """Alternating fast/slow stretches per activity after merging short blips.

    The grid is in (activity, time) order and `block` numbers are unique over
    all activities, so the raw fast/slow runs are a single run-length id over
    the whole grid; merging the blips then works on the (much smaller) table
    of runs, which gives the same stretches as merging second by second.
    """
    fast = pl.col("speed") > pl.col("thr").fill_null(math.inf)
    raw = (
        _with_thr(grid.select(AID, "ts", "block", "speed", "speed_raw"), thr)
        .with_columns(rid=pl.struct(fast=fast, block="block").rle_id())
        .group_by("rid", maintain_order=True)
        .agg(
            pl.col(AID).first(),
            pl.col("block").first(),
            fast=fast.first(),
            start=pl.col("ts").first(),
            end=pl.col("ts").last() + 1,
            n=pl.len(),
            dist=pl.col("speed_raw").sum(),
        )
    )
    merged = pl.when(pl.col("n") < p.min_blip_s).then(None).otherwise(pl.col("fast"))
    return (
        raw.with_columns(fast=merged.forward_fill().backward_fill().over(AID))
        .with_columns(rid=pl.struct("fast", "block").rle_id().over(AID))
        .group_by(AID, "rid", maintain_order=True)
        .agg(
            fast=pl.col("fast").first(),
            start=pl.col("start").first(),
            end=pl.col("end").last(),
            n=pl.col("n").sum().cast(pl.Float64),
            dist=pl.col("dist").sum(),
        )
    )


def _candidates_from_runs(runs: pl.LazyFrame, p: IntervalParams) -> pl.LazyFrame:
    """Fast stretches long enough to be reps: activity_id, start, end, n, dist."""
    return runs.filter(
        pl.col("fast") & (pl.col("n") >= p.min_rep_s) & (pl.col("n") <= p.max_rep_s)
    ).select(AID, "start", "end", "n", "dist")


# --------------------------------------------------------------------------- sets


def _lookup(frame: pl.LazyFrame, at: str, grid: pl.LazyFrame, **cols: str) -> pl.LazyFrame:
    """Add grid columns (renamed as `cols`: new=old) at the grid second `at` (null if none).

    A backward asof join on the grid's sorted `key` (activity ordinal, second;
    see `_grid`) that keeps only exact hits: no hash table over the whole grid.
    The row order of `frame` is not kept.
    """
    acts = grid.filter(pl.col("pos") == 0).select(AID, "aord")
    k = (pl.col("aord") * _KEY_SPAN + pl.col(at)).fill_null(-1)
    right = grid.select(
        _k=pl.col("key").set_sorted(), _hit="key", **{c: pl.col(v) for c, v in cols.items()}
    )
    hit = pl.col("_hit") == pl.col("_k")
    return (
        frame.join(acts, on=AID, how="left")
        .with_columns(_k=k)
        .sort("_k")
        .join_asof(right, on="_k", strategy="backward")
        .with_columns(pl.when(hit).then(pl.col(c)).alias(c) for c in cols)
        .drop("_k", "_hit", "aord")
    )


def _with_gaps(cands: pl.LazyFrame, grid: pl.LazyFrame) -> pl.LazyFrame:
    """Add for each candidate the slow gap before it: gap_n (s) and gap_dist (m).

    `grid` carries `pos` (row number in its activity) and `cd` (cumulative
    distance), see `_grid`.
    """
    c = cands.sort(AID, "start").with_columns(
        prev_end=pl.col("end").shift(1).over(AID),
        prev_n=pl.col("n").shift(1).over(AID),
        next_start=pl.col("start").shift(-1).over(AID),
    )
    # grid seconds (not wall-clock) between reps, so clock jumps do not count
    c = _lookup(c, "start", grid, cd_start="cd", p_start="pos")
    c = _lookup(c, "prev_end", grid, cd_prev="cd", p_prev="pos")
    return c.with_columns(
        gap_n=(pl.col("p_start") - pl.col("p_prev")).cast(pl.Float64),
        gap_wall=(pl.col("start") - pl.col("prev_end")).cast(pl.Float64),
        gap_dist=pl.col("cd_start") - pl.col("cd_prev"),
    ).drop("cd_start", "cd_prev", "p_start", "p_prev")


def _stream_cands(runs: pl.LazyFrame, grid: pl.LazyFrame, p: IntervalParams) -> pl.LazyFrame:
    """Rep candidates of the fast stretches with their gaps (see `_with_gaps`), where
    a dip that is no recovery joins the stretches on either side of it.

    A dip is a slow stretch between two fast ones that is neither clearly
    slower than both (the `min_contrast` every recovery must show) nor as
    long as either of them: a 20 s ease-off in the middle of a fast
    kilometre (a turn, a crossing) splits one effort in two, and neither
    half alone repeats or stands out as a rep.
    """
    c = _with_gaps(_candidates_from_runs(runs, p), grid).sort(AID, "start")
    speed = pl.col("dist") / pl.col("n")
    gap_speed = pl.col("gap_dist") / pl.col("gap_n")
    dip = (
        pl.col("prev_end").is_not_null()
        & (pl.col("gap_wall") == pl.col("gap_n"))
        & (gap_speed * (1.0 + p.min_contrast) > pl.min_horizontal(speed, speed.shift(1).over(AID)))
        & (pl.col("gap_n") < pl.min_horizontal("n", "prev_n"))
    ).fill_null(False)
    # gaps are additive on the grid: a merged stretch spans its pieces and the
    # dips between them, and keeps the gap before its first piece; a merge
    # that would be longer than any rep is undone (its pieces stay as they were)
    c = c.with_columns(dip=dip).with_columns(grp=(~pl.col("dip")).cum_sum().over(AID))
    inner_n = pl.when(pl.col("dip")).then(pl.col("gap_n")).otherwise(0.0)
    total = (pl.col("n") + inner_n).sum().over(AID, "grp")
    c = c.with_columns(dip=pl.col("dip") & (total <= p.max_rep_s)).with_columns(
        grp=(~pl.col("dip")).cum_sum().over(AID)
    )
    merged = (
        c.group_by(AID, "grp")
        .agg(
            start=pl.col("start").first(),
            end=pl.col("end").last(),
            n=(pl.col("n") + inner_n).sum(),
            dist=(
                pl.col("dist") + pl.when(pl.col("dip")).then(pl.col("gap_dist")).otherwise(0.0)
            ).sum(),
            prev_end=pl.col("prev_end").first(),
            gap_n=pl.col("gap_n").first(),
            gap_wall=pl.col("gap_wall").first(),
            gap_dist=pl.col("gap_dist").first(),
        )
        .sort(AID, "start")
        .drop("grp")
    )
    return merged.with_columns(
        prev_n=pl.col("n").shift(1).over(AID),
        step=pl.lit(None, pl.Int32),
        tail_end=pl.lit(None, pl.Int64),
    )


def _cv(col: str) -> pl.Expr:
    return (pl.col(col).std(ddof=0) / pl.col(col).mean()).fill_null(0.0)


def _split_at_step(c: pl.LazyFrame, p: IntervalParams) -> pl.LazyFrame:
    """Split each chained set once where its reps change step-wise (a change point).

    Consecutive reps are chained by pairwise tests, so two sets of similar
    reps (4x1min/1min then 3x40s/2min) chain into one. For every split of a
    set into a left and a right part, a feature *steps* there when the two
    parts' ranges do not overlap and lie further apart than either part's own
    range (the reps differ more between the parts than within them) and than
    the measurement noise of stream boundaries (`change_noise_s`). Features:
    the rep length (duration and distance both step: a fading runner's
    1 km reps take longer but do not get shorter), the recovery duration and
    the rep speed. Each part needs 2 reps (2 recoveries for the recovery
    test), so a lone odd rep at either end is left to the set tests. The
    split with the clearest step (separation over the larger of range and
    noise) becomes a new set; a gradual drift never separates the parts.
    Input: sorted candidates with `set_id`, `new_set`, n, dist, speed, gap_n.
    """
    # sets are contiguous in (activity, start) order: one run-length id each;
    # only sets of at least 4 reps can split into two parts of two
    gid = "_gid"
    c = c.with_columns(_gid=pl.struct(AID, "set_id").rle_id()).with_columns(_m=pl.len().over(gid))
    c = _done(c)  # read by both branches below
    small = c.filter(pl.col("_m") < 4)
    big = c.filter(pl.col("_m") >= 4)
    noise = float(p.change_noise_s)
    pos = pl.int_range(pl.len()).over(gid)
    big = big.with_columns(
        _pos=pos,
        _g=pl.when(pos > 0).then(pl.col("gap_n")),
        _floor_speed=(pl.col("speed").median() * noise / pl.col("n").median()).over(gid),
        _floor_dist=(pl.col("speed").median() * noise).over(gid),
    )
    inf = pl.lit(math.inf)
    feats = {"n": 0, "dist": 0, "speed": 0, "_g": 1}  # feature: shift of the right part
    big = big.with_columns(
        e
        for f, r in feats.items()
        for e in (
            pl.col(f).fill_null(inf).cum_min().shift(1).over(gid).alias(f"_lo_l{f}"),
            pl.col(f).fill_null(-inf).cum_max().shift(1).over(gid).alias(f"_hi_l{f}"),
            pl.col(f).fill_null(inf).cum_min(reverse=True).shift(-r).over(gid).alias(f"_lo_r{f}"),
            pl.col(f).fill_null(-inf).cum_max(reverse=True).shift(-r).over(gid).alias(f"_hi_r{f}"),
        )
    )

    def sep(f: str, floor: pl.Expr) -> pl.Expr:
        """Separation of the parts before and from this row over max(range, floor);
        null when the parts overlap or lie too close."""
        lo_l, hi_l = pl.col(f"_lo_l{f}"), pl.col(f"_hi_l{f}")
        lo_r, hi_r = pl.col(f"_lo_r{f}"), pl.col(f"_hi_r{f}")
        gap = pl.max_horizontal(lo_l - hi_r, lo_r - hi_l)
        width = pl.max_horizontal(hi_l - lo_l, hi_r - lo_r, floor)
        return pl.when(gap > width).then(gap / width)

    length = pl.min_horizontal(sep("n", pl.lit(noise)), sep("dist", pl.col("_floor_dist")))
    speed = sep("speed", pl.col("_floor_speed"))
    # recoveries: the gaps inside each part (the gap at the split is neither's)
    rec = sep("_g", pl.lit(noise))
    left = pl.col("_pos")
    right = pl.col("_m") - pl.col("_pos")
    # the scores add up: a recovery step alone leaves the rep at the split
    # ambiguous (its recovery is in neither part); a step in the reps settles it
    big = big.with_columns(
        _by_reps=pl.when((left >= 2) & (right >= 2)).then(pl.max_horizontal(length, speed)),
        _by_rec=pl.when((left >= 3) & (right >= 3)).then(rec),
    )
    score = pl.when(pl.col("_by_reps").is_not_null() | pl.col("_by_rec").is_not_null()).then(
        pl.col("_by_reps").fill_null(0.0) + pl.col("_by_rec").fill_null(0.0)
    )
    top = (pl.col("_score") == pl.col("_score").max().over(gid)).fill_null(False)
    big = big.with_columns(_score=score).with_columns(
        # the first of equally clear splits
        new_set=pl.col("new_set") | (top & (top.cum_sum().over(gid) == 1))
    )
    big = big.drop(
        "_pos", "_g", "_floor_speed", "_floor_dist", "_score", "_by_reps", "_by_rec"
    ).drop(cs.starts_with("_lo_", "_hi_"))
    return pl.concat([small, big]).sort(AID, "start").drop(gid, "_m")


def _sets(
    cands: pl.LazyFrame,
    p: IntervalParams,
    trusted: bool,
    extras: bool = True,
    split: bool = True,
) -> pl.LazyFrame:
    """Group candidates into sets and keep the reps of valid sets.

    Input: activity_id, start, end, n, dist, gap_n, gap_wall, gap_dist (gap before).
    Output adds set_no, rep_no; rows that are not reps are dropped. Without
    `extras` only full sets are kept (no lone extra reps next to them);
    without `split` chained sets are not split at change points.
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
        & ((speed / prev_speed - 1.0).abs() <= p.max_rep_speed_step)
    )
    if trusted:
        prev_step = pl.col("step").shift(1).over(AID)
        joined = (
            pl.when(pl.col("step").is_not_null() & prev_step.is_not_null())
            .then(pl.col("prev_end").is_not_null() & (pl.col("step") == prev_step))
            .otherwise(joined)
        )
    else:
        joined = joined & contrast_ok
    c = cands.sort(AID, "start").with_columns(
        speed=speed,
        new_set=~joined.fill_null(False),
    )
    c = c.with_columns(set_id=pl.col("new_set").cum_sum().over(AID))
    if split and not trusted:
        c = _split_at_step(c, p).with_columns(set_id=pl.col("new_set").cum_sum().over(AID))
    c = c.with_columns(
        in_set_gap=pl.when(pl.col("new_set")).then(None).otherwise(gap_speed),
        in_set_gap_n=pl.when(pl.col("new_set")).then(None).otherwise(pl.col("gap_n")),
    )
    agg_over = [AID, "set_id"]
    c = c.with_columns(
        set_n=pl.len().over(agg_over),
        set_speed=pl.col("speed").median().over(agg_over),
        set_cv=pl.min_horizontal(_cv("n").over(agg_over), _cv("dist").over(agg_over)),
        set_speed_cv=_cv("speed").over(agg_over),
        set_gap_speed=pl.col("in_set_gap").mean().over(agg_over),
        set_gap_cv=_cv("in_set_gap_n").over(agg_over),
    )
    if trusted:
        c = c.with_columns(primary=pl.lit(True), keep=pl.lit(True))
    else:
        primary = (
            (pl.col("set_n") >= p.min_reps)
            & (pl.col("set_cv") <= p.max_rep_cv)
            & (pl.col("set_speed_cv") <= p.max_rep_speed_cv)
            & (pl.col("set_gap_cv") <= p.max_recovery_cv)
            & (pl.col("set_gap_speed") * (1.0 + p.min_contrast) <= pl.col("set_speed"))
        )
        c = c.with_columns(primary=primary)
        c = c.with_columns(
            main_speed=pl.col("set_speed").filter(pl.col("primary")).median().over(AID),
            main_n=pl.col("n").filter(pl.col("primary")).median().over(AID),
            # a secondary set must be as clearly faster than the jog around it
            # (null when neither side is known, e.g. alone before a clock jump:
            # then nothing shows it to be a rep)
            around=pl.max_horizontal(
                gap_speed, (pl.col("gap_dist") / pl.col("gap_n")).shift(-1).over(AID)
            ),
        )
        extra = (
            (pl.col("speed") >= p.extra_rep_speed_frac * pl.col("main_speed"))
            & (pl.col("n") >= p.extra_rep_min_frac * pl.col("main_n"))
            & (pl.col("speed") >= (1.0 + p.extra_rep_contrast) * pl.col("around"))
            & (pl.col("set_n") < p.min_reps)
        ).fill_null(False)
        if not extras:
            extra = pl.lit(False)
        c = c.with_columns(keep=pl.col("primary") | extra.all().over(agg_over))
    c = c.filter(pl.col("keep"))
    return c.with_columns(
        set_no=pl.col("set_id").rank("dense").over(AID).cast(pl.Int32),
        rep_no=pl.int_range(1, pl.len() + 1).over(AID, "set_id").cast(pl.Int32),
    ).select(AID, "start", "end", "set_no", "rep_no", "speed", "in_set_gap", "tail_end")


# --------------------------------------------------------------------------- boundaries


def _refine(reps: pl.LazyFrame, grid: pl.LazyFrame, p: IntervalParams) -> pl.LazyFrame:
    """Move each stream rep boundary to the steepest speed change within the window.

    The speed difference is computed only around the boundaries: for each one
    the grid seconds of the window plus `refine_lag_s` either side are looked
    up (null where the grid has no such second), and the difference between
    seconds of the same block is taken inside that short window.
    """
    lag = p.refine_lag_s
    w = p.refine_window_s
    key = [AID, "rid"]
    out = []
    for side, sign in (("start", 1.0), ("end", -1.0)):
        win = (
            reps.select(AID, "rid", b=pl.col(side))
            .with_columns(ts=pl.int_ranges(pl.col("b") - w - lag, pl.col("b") + w + lag + 1))
            .explode("ts")
        )
        win = _lookup(win, "ts", grid, speed="speed", block="block").sort(*key, "ts")
        blk = pl.col("block")
        ahead, behind = -lag + 1, lag
        slope = pl.when((blk.shift(ahead) == blk) & (blk.shift(behind) == blk)).then(
            pl.col("speed").shift(ahead) - pl.col("speed").shift(behind)
        )
        b = (
            win.with_columns(g=slope.over(key) * sign)
            .filter((pl.col("ts") - pl.col("b")).abs() <= w)
            .filter(pl.col("g") >= 0.9 * pl.col("g").max().over(key))
            .group_by(key)
            .agg(pl.col("ts").mean().round(0).cast(pl.Int64).alias(side))
        )
        out.append(b)
    refined = reps.drop("start", "end").join(out[0], on=key, how="left")
    refined = refined.join(out[1], on=key, how="left")
    orig = reps.select(AID, "rid", s0="start", e0="end")
    return (
        refined.join(orig, on=key)
        .with_columns(
            start=pl.col("start").fill_null(pl.col("s0")), end=pl.col("end").fill_null(pl.col("e0"))
        )
        .with_columns(
            start=pl.when(pl.col("end") - pl.col("start") < p.min_rep_s / 2)
            .then(pl.col("s0"))
            .otherwise(pl.col("start")),
            end=pl.when(pl.col("end") - pl.col("start") < p.min_rep_s / 2)
            .then(pl.col("e0"))
            .otherwise(pl.col("end")),
        )
        .drop("s0", "e0")
    )


# --------------------------------------------------------------------------- segments


def _units_from_reps(reps: pl.LazyFrame, bounds: pl.LazyFrame) -> pl.LazyFrame:
    """Cover each activity with warm-up / work / recovery / cool-down units from its reps."""
    r = reps.sort(AID, "start").with_columns(
        start=pl.max_horizontal("start", pl.col("end").shift(1).over(AID).fill_null(0)),
    )
    work = r.select(AID, "start", "set_no", "rep_no", kind=pl.lit("work"))
    rec = r.with_columns(
        nxt=pl.col("start").shift(-1).over(AID).fill_null(pl.col("tail_end"))
    ).filter(pl.col("nxt").is_not_null() & (pl.col("nxt") > pl.col("end")))
    rec = rec.select(
        AID, start=pl.col("end"), set_no="set_no", rep_no="rep_no", kind=pl.lit("recovery")
    )
    first = r.group_by(AID).agg(
        first=pl.col("start").min(),
        last=pl.max_horizontal(pl.col("end").max(), pl.col("tail_end").max()),
    )
    b = bounds.join(first, on=AID, how="left")
    none = pl.lit(None, pl.Int32)
    lead = b.select(
        AID,
        start=pl.col("t0"),
        set_no=none,
        rep_no=none,
        kind=pl.when(pl.col("first").is_null()).then(pl.lit("steady")).otherwise(pl.lit("warmup")),
    ).filter(True)
    lead = (
        lead.join(first, on=AID, how="left")
        .filter(pl.col("first").is_null() | (pl.col("first") > pl.col("start")))
        .drop("first", "last")
    )
    tail = b.filter(pl.col("last").is_not_null() & (pl.col("last") < pl.col("t1"))).select(
        AID, start=pl.col("last"), set_no=none, rep_no=none, kind=pl.lit("cooldown")
    )
    return pl.concat([lead, work, rec, tail], how="vertical_relaxed").sort(AID, "start")


def _metrics(units: pl.LazyFrame, grid: pl.LazyFrame, source: pl.LazyFrame) -> pl.LazyFrame:
    """Summarise grid samples per unit into the segment schema."""
    acts = grid.filter(pl.col("pos") == 0).select(AID, "aord")
    u = (
        units.join(acts, on=AID, how="inner")
        .sort(AID, "start")
        .with_columns(
            seg_index=pl.int_range(pl.len()).over(AID).cast(pl.Int32),
            seg=pl.int_range(pl.len()),
            key=pl.col("aord") * _KEY_SPAN + pl.col("start"),
        )
    )
    # grid and units both in (activity, second) order on one key: each second
    # falls in the last unit started at or before it, if of its own activity
    g = grid.join_asof(
        u.select("key", "seg", seg_aid=AID).with_columns(pl.col("key").set_sorted()),
        on="key",
        strategy="backward",
    ).with_columns(seg=pl.when(pl.col("seg_aid") == pl.col(AID)).then(pl.col("seg")))
    half = pl.col("ts") >= (pl.col("ts").min() + pl.col("ts").max()) / 2
    agg = g.group_by("seg").agg(
        t_first=pl.col("ts").min(),
        t_last=pl.col("ts").max(),
        # timer time: auto-paused seconds do not count (a lap's timer_s)
        duration_s=(~pl.col("paused")).sum().cast(pl.Float64),
        distance_m=pl.col("speed_raw").sum(),
        max_speed_mps=pl.col("speed").max(),
        avg_hr=pl.col("heart_rate").mean(),
        max_hr=pl.col("heart_rate").max(),
        avg_hr_2nd_half=pl.col("heart_rate").filter(half).mean(),
        avg_cadence_spm=pl.col("cadence_spm").mean(),
        avg_power_w=pl.col("power_w").mean(),
    )
    ts_to_dt = pl.from_epoch
    return (
        u.join(agg, on="seg", how="inner")
        .join(source, on=AID, how="left")
        .sort(AID, "seg_index")
        .with_columns(seg_index=pl.int_range(pl.len()).over(AID).cast(pl.Int32))
        .select(
            AID,
            "seg_index",
            "kind",
            "set_no",
            "rep_no",
            start_utc=ts_to_dt("t_first", time_unit="s").cast(pl.Datetime("ms")),
            end_utc=ts_to_dt(pl.col("t_last") + 1, time_unit="s").cast(pl.Datetime("ms")),
            duration_s="duration_s",
            distance_m="distance_m",
            avg_speed_mps=pl.col("distance_m") / pl.col("duration_s"),
            max_speed_mps="max_speed_mps",
            avg_hr="avg_hr",
            max_hr="max_hr",
            avg_hr_2nd_half="avg_hr_2nd_half",
            avg_cadence_spm="avg_cadence_spm",
            avg_power_w="avg_power_w",
            source="source",
        )
        .cast(SEGMENT_SCHEMA)  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- laps

_WORK = ("active", "interval")
_REST = ("rest", "recovery")


def _epoch(col: str) -> pl.Expr:
    return (pl.col(col).dt.epoch("ms") / 1000.0).round(0).cast(pl.Int64)


def _lap_table(laps: pl.LazyFrame) -> pl.LazyFrame:
    """Laps with grid times, length, speed and the structure mode of their activity."""
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


def _trusted_lap_reps(lt: pl.LazyFrame, p: IntervalParams) -> pl.LazyFrame:
    """Work laps of workout-step activities: activity_id, start, end, n, dist, step."""
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
    )


def _manual_lap_candidates(lt: pl.LazyFrame, p: IntervalParams) -> pl.LazyFrame:
    """Fast stretches of manual (not auto, not workout-step) laps."""
    body = pl.col("lap_index") < pl.col("lap_index").max().over(AID)
    spread = pl.min_horizontal(
        (pl.col("dist").filter(body).max() / pl.col("dist").filter(body).min()).over(AID),
        (pl.col("n").filter(body).max() / pl.col("n").filter(body).min()).over(AID),
    )
    lf = lt.filter(
        ~pl.col("by_intensity")
        & ~pl.col("by_steps")
        & (pl.len().over(AID) >= 2 * p.min_reps)
        & (spread > 1.0 + p.auto_lap_tolerance)
    )
    thr = (pl.col("speed").quantile(0.1) + pl.col("speed").quantile(0.9)).over(AID) / 2
    # consecutive fast laps are one rep (a rep the watch split in two) only at
    # the same pace: a warm-up lap run straight into the first rep is not part of it
    prev = pl.col("speed").shift(1).over(AID)
    step = ((pl.col("speed") / prev - 1.0).abs() > p.max_rep_speed_step).fill_null(True)
    lf = lf.with_columns(fast=pl.col("speed") > thr).with_columns(
        rid=(pl.col("fast") != pl.col("fast").shift(1).over(AID)).fill_null(True) | step
    )
    lf = lf.with_columns(rid=pl.col("rid").cum_sum().over(AID))
    return (
        lf.filter(pl.col("fast"))
        .group_by(AID, "rid")
        .agg(
            start=pl.col("start").first(),
            end=pl.col("end").last(),
            n=pl.col("n").sum(),
            dist=pl.col("dist").sum(),
        )
        .filter((pl.col("n") >= p.min_rep_s) & (pl.col("n") <= p.max_rep_s))
        .drop("rid")
    )


# --------------------------------------------------------------------------- API


def _done(lf: pl.LazyFrame, engine: Literal["auto", "in-memory"] = "auto") -> pl.LazyFrame:
    """Materialise a stage that many later branches read.

    The grid, runs and reps each feed a dozen branches of the plan; polars'
    cache node did not stop them being recomputed (100 s instead of ~10 s on
    1,000 activities), so the stages are collected once and read back lazily.
    The grid's row-wise fills and windows run with a third less CPU on the
    in-memory engine; the joins of the later stages are faster when streamed.
    """
    return lf.collect(engine=engine).lazy()


def _grid(samples: pl.LazyFrame, p: IntervalParams) -> pl.LazyFrame:
    """The 1 s grid (see `samples.to_grid`) with what the set tests look up:
    `pos`, the row number within the activity (grid seconds, not wall-clock),
    and `cd`, the cumulative distance of the activity; `aord` numbers the
    activities and `key` = aord * 2^32 + ts orders the grid for `_lookup`."""
    return (
        to_grid(samples, p.grid)
        .select(
            AID,
            "ts",
            "block",
            "paused",
            "speed_raw",
            "speed",
            "heart_rate",
            "cadence_spm",
            "power_w",
            pos=pl.int_range(pl.len()).over(AID),
            cd=pl.col("speed_raw").cum_sum().over(AID),
        )
        .with_columns(
            aord=pl.col(AID).rle_id().cast(pl.Int64),
            key=pl.col(AID).rle_id().cast(pl.Int64) * _KEY_SPAN + pl.col("ts"),
        )
    )


def _with_slow_side_sets(
    reps: pl.LazyFrame, grid: pl.LazyFrame, thr: pl.LazyFrame, p: IntervalParams
) -> pl.LazyFrame:
    """Add the sets that a second split of the slow side finds (two-set sessions).

    A session of two sets at different speeds (4x10min at threshold pace, then
    10x200m sprints) has its slower set on the slow side of the one fast/slow
    split. In activities that already have a set, the samples at or below the
    threshold get their own two-cluster split; fast stretches of that split go
    through the same set tests (full sets only, no lone extra reps), and a set
    found there is added when none of its reps overlaps a rep already found.
    Steady runs have no set to start from and stay `continuous`.
    """
    # the grid of the activities with a set (a filter keeps the grid's order)
    thr_sets = thr.join(reps.select(AID).unique(), on=AID, how="semi")
    g = _done(
        _with_thr(grid.select(AID, "ts", "block", "speed", "speed_raw"), thr_sets).filter(
            pl.col("thr").is_not_null()
        )
    )
    thr_low = _otsu(g.filter(pl.col("speed") <= pl.col("thr")), p)
    cands = _stream_cands(_done(_runs(g.drop("thr"), thr_low, p)), grid, p)
    low = _done(_sets(cands, p, trusted=False, extras=False))
    main = reps.select(AID, m_start="start", m_end="end")
    clash = (
        low.join(main, on=AID, how="inner")
        .filter((pl.col("start") < pl.col("m_end")) & (pl.col("m_start") < pl.col("end")))
        .select(AID, "set_no")
        .unique()
    )
    low = low.join(clash, on=[AID, "set_no"], how="anti")
    # sets numbered again in time order over both splits
    both = pl.concat(
        [reps.with_columns(split=pl.lit(0)), low.with_columns(split=pl.lit(1))],
        how="vertical_relaxed",
    )
    first = pl.col("start").min().over(AID, "split", "set_no")
    return both.with_columns(set_no=first.rank("dense").over(AID).cast(pl.Int32)).drop("split")


def _stream_reps(grid: pl.LazyFrame, p: IntervalParams) -> pl.LazyFrame:
    """Reps found in the speed stream, in two passes (see module docstring)."""
    thr = _otsu(grid, p)
    cands = _stream_cands(_done(_runs(grid, thr, p)), grid, p)
    # (the first pass only finds this session's rep and recovery speeds)
    reps = _done(_sets(cands, p, trusted=False, split=False))
    # second pass: split halfway between this session's own rep and recovery speeds
    thr2 = reps.group_by(AID).agg(
        thr2=(pl.col("speed").median() + pl.col("in_set_gap").median()) / 2
    )
    thr = thr.join(thr2, on=AID, how="left").select(AID, thr=pl.max_horizontal("thr2", "thr"))
    cands = _stream_cands(_done(_runs(grid, thr, p)), grid, p)
    reps = _done(_sets(cands, p, trusted=False))
    if p.slow_side_split:
        reps = _done(_with_slow_side_sets(reps, grid, thr, p))
    reps = _done(reps.with_columns(rid=pl.int_range(pl.len()).over(AID)))
    return _done(_refine(reps, grid, p).drop("rid"))


def _lap_reps(laps: pl.LazyFrame, grid: pl.LazyFrame, p: IntervalParams) -> pl.LazyFrame:
    """Reps from laps that describe the workout (workout steps or manual fast/slow laps)."""
    lt = _lap_table(laps)
    trusted = _sets(_with_gaps(_trusted_lap_reps(lt, p), grid), p, trusted=True)
    manual = _manual_lap_candidates(lt, p).with_columns(
        step=pl.lit(None, pl.Int32), tail_end=pl.lit(None, pl.Int64)
    )
    manual_reps = _sets(_with_gaps(manual, grid), p, trusted=False)
    return pl.concat([trusted, manual_reps], how="vertical_relaxed")


def detect_segments(
    samples: pl.LazyFrame,
    laps: pl.LazyFrame,
    *,
    use_laps: bool = True,
    params: IntervalParams = IntervalParams(),
) -> pl.LazyFrame:
    """One row per segment for every activity in `samples` (grouped by activity_id).

    Segments cover each activity from its first to its last sample: warmup,
    work and recovery (with set_no / rep_no), cooldown; a run without reps is
    one `steady` segment. `source` says whether the structure came from the
    laps or the streams. Columns and types: `SEGMENT_SCHEMA`.
    """
    p = params
    grid = _done(_grid(samples, p), engine="in-memory")
    cols = [AID, "start", "end", "set_no", "rep_no", "tail_end", "source"]
    reps = _stream_reps(grid, p).with_columns(source=pl.lit("streams")).select(cols)
    if use_laps:
        from_laps = _lap_reps(laps, grid, p).with_columns(source=pl.lit("laps")).select(cols)
        lap_aids = from_laps.select(AID).unique()
        reps = pl.concat(
            [from_laps, reps.join(lap_aids, on=AID, how="anti")], how="vertical_relaxed"
        )
    reps = _done(reps)
    source = (
        grid.select(AID)
        .unique()
        .join(reps.group_by(AID).agg(source=pl.col("source").first()), on=AID, how="left")
        .with_columns(source=pl.col("source").fill_null("streams"))
    )
    bounds = grid.group_by(AID).agg(t0=pl.col("ts").min(), t1=pl.col("ts").max() + 1)
    units = _units_from_reps(reps, bounds)
    return _metrics(units, grid, source)


# --------------------------------------------------------------------------- labels

# Values a runner writes; others are rounded on a finer grid and cost a little,
# except in the dimension (time or distance) that the reps repeat most exactly:
# there an off-list value (3:20, 850m, 110s) is what the watch was set to.
_ROUND_M = (100, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1200, 1500, 1600, 2000, 3000, 5000)
_ROUND_S = (10, 15, 20, 30, 40, 45, 60, 90, 120, 150, 180, 240, 300, 360, 420, 480, 600, 720, 900)
_NOT_ROUND_COST = 0.1
# Weight of the coefficient of variation across reps in the time/distance choice.
_CV_WEIGHT = 2.0
# A list value this close is what the runner meant even in the exact dimension
# (stream boundaries are a few seconds off on reps of a few minutes).
_LIST_TOL = 0.1
# Time is the controlled dimension when its CV is at most this share of the
# distance CV (clearly more consistent, not equal within noise).
_TIME_CV_SHARE = 0.75
# Lap durations within this many seconds of a whole 5 s were ended by the
# watch's timer (time-triggered workout steps): exact, never rounded.
_TIMER_STEP_S = 5.0
_TIMER_TOL_S = 1.0
# ... and lap distances within 1 m of a whole 50 m were ended by distance.
_DIST_STEP_M = 50.0
_DIST_TOL_M = 1.0
# Stream boundaries are up to ~7 s off each (p90), so a stream duration may be
# this far from the list value the runner meant.
_STREAM_TOL_S = 15.0
# Recoveries are prescribed in time more often than in distance: on a near tie
# (within this rounding cost) a recovery is labelled in time.
_RECOVERY_TIME_BIAS = 0.03


def _nearest(
    x: float, preferred: tuple[int, ...], step: int, exact: bool, tol: float = _LIST_TOL
) -> tuple[int, float]:
    """The nice value for x and its cost (relative error, plus a cost off the list
    unless `exact`: the dimension the reps repeat most precisely, where a list
    value is only preferred within `tol`)."""
    best = min(preferred, key=lambda v: abs(x - v) / v)
    fine = max(step, round(x / step) * step)
    cost_best = abs(x - best) / best
    cost_fine = abs(x - fine) / fine + (0.0 if exact else _NOT_ROUND_COST)
    if exact:
        return (fine, cost_fine) if cost_best > tol else (best, cost_best)
    return (best, cost_best) if cost_best <= cost_fine else (fine, cost_fine)


def _fmt_s(s: int) -> str:
    if s % 60 == 0:
        return f"{s // 60}min"
    if s < 180:
        return f"{s}s"
    return f"{s // 60}:{s % 60:02d}"


def _fmt_m(m: int) -> str:
    return f"{m // 1000}km" if m % 1000 == 0 else f"{m}m"


def _amount(
    mean_s: float,
    cv_s: float,
    mean_m: float,
    cv_m: float,
    recovery: bool,
    trigger: str | None,
) -> str:
    """Time or distance, whichever is rounder and more consistent across reps.

    When time has the lower coefficient of variation it is the dimension the
    runner (or the watch) controlled, and a whole-10 s value off the list of
    round values (a lap button pressed at 3:20) is exact. `trigger` "time":
    the durations are laps the watch ended on a whole 5 s (a 110 s workout
    step), exact to the second; "distance": laps ended on a whole 50 m.
    """
    if trigger == "distance":
        return _fmt_m(round(mean_m / _DIST_STEP_M) * int(_DIST_STEP_M))
    timer = trigger == "time"
    s_step = 10 if mean_s < 600 else 30
    m_step = 50 if mean_m < 2000 else 100
    time_exact = timer or (cv_m > 0 and cv_s <= _TIME_CV_SHARE * cv_m)
    if timer:
        s_step = int(_TIMER_STEP_S)
    s_val, s_cost = _nearest(
        mean_s,
        _ROUND_S,
        s_step,
        exact=time_exact,
        tol=0.0 if timer else max(_LIST_TOL, _STREAM_TOL_S / max(mean_s, 1.0)),
    )
    if mean_m < 50:  # standing or walking: only time makes sense
        return _fmt_s(s_val)
    m_val, m_cost = _nearest(mean_m, _ROUND_M, m_step, exact=False)
    bias = _RECOVERY_TIME_BIAS if recovery else 0.0
    time_score = s_cost + _CV_WEIGHT * cv_s - bias
    return _fmt_m(m_val) if m_cost + _CV_WEIGHT * cv_m < time_score else _fmt_s(s_val)


def _set_label(row: dict[str, float | int | str | None]) -> str:
    def f(k: str) -> float:
        v = row[k]
        return float(v) if v is not None else 0.0

    def trigger(prefix: str) -> str | None:
        if row["source"] != "laps":
            return None
        # a watch-ended step repeats to the second (or metre) on a whole value
        if f(f"{prefix}_off_s") <= _TIMER_TOL_S and f(f"{prefix}_cv_s") * f(f"{prefix}_s") <= (
            _TIMER_TOL_S
        ):
            return "time"
        if f(f"{prefix}_off_m") <= _DIST_TOL_M and f(f"{prefix}_cv_m") * f(f"{prefix}_m") <= (
            _DIST_TOL_M
        ):
            return "distance"
        return None

    rep = _amount(f("w_s"), f("w_cv_s"), f("w_m"), f("w_cv_m"), False, trigger("w"))
    rec = ""
    if row["r_s"] is not None:
        rec = "/" + _amount(f("r_s"), f("r_cv_s"), f("r_m"), f("r_cv_m"), True, trigger("r"))
    return f"{row['n']}x{rep}{rec}" if not row["single"] else f"{rep}{rec}"


def _stats(prefix: str) -> list[pl.Expr]:
    return [
        pl.col("duration_s").mean().alias(f"{prefix}_s"),
        _cv("duration_s").alias(f"{prefix}_cv_s"),
        pl.col("distance_m").mean().alias(f"{prefix}_m"),
        _cv("distance_m").alias(f"{prefix}_cv_m"),
        # how far the durations are from whole timer steps (exact workout steps: 0)
        (pl.col("duration_s") - (pl.col("duration_s") / _TIMER_STEP_S).round(0) * _TIMER_STEP_S)
        .abs()
        .max()
        .alias(f"{prefix}_off_s"),
        (pl.col("distance_m") - (pl.col("distance_m") / _DIST_STEP_M).round(0) * _DIST_STEP_M)
        .abs()
        .max()
        .alias(f"{prefix}_off_m"),
    ]


def session_labels(segments: pl.LazyFrame) -> pl.LazyFrame:
    """activity_id, label (e.g. '6x400m/200m', '4x10min/1min + 10x200m/200m', 'continuous'),
    source, n_work."""
    seg = segments.with_columns(n=(pl.col("kind") == "work").sum().over(AID, "set_no"))
    work = seg.filter(pl.col("kind") == "work")
    sets = work.group_by(AID, "set_no").agg(
        pl.len().alias("n"), pl.col("source").first(), *_stats("w")
    )
    sets = sets.with_columns(single=(pl.col("n").max() == 1).over(AID) & (pl.len() > 1).over(AID))
    rec = (
        seg.filter(pl.col("kind") == "recovery")
        .join(sets.select(AID, "set_no", "single"), on=[AID, "set_no"], how="left")
        .filter(pl.col("single") | (pl.col("rep_no") < pl.col("n")))
        .group_by(AID, "set_no")
        .agg(*_stats("r"))
    )
    cols = ["n", "single", "source", "w_s", "w_cv_s", "w_m", "w_cv_m", "w_off_s", "w_off_m"]
    cols += ["r_s", "r_cv_s", "r_m", "r_cv_m", "r_off_s", "r_off_m"]
    per_set = (
        sets.join(rec, on=[AID, "set_no"], how="left")
        .with_columns(text=pl.struct(cols).map_elements(_set_label, return_dtype=pl.String))
        .group_by(AID)
        .agg(
            label=pl.when(pl.col("single").first())
            .then(pl.col("text").sort_by("set_no").str.join(", "))
            .otherwise(pl.col("text").sort_by("set_no").str.join(" + ")),
            n_work=pl.col("n").sum(),
        )
    )
    acts = segments.group_by(AID).agg(source=pl.col("source").first())
    return (
        acts.join(per_set, on=AID, how="left")
        .select(
            AID,
            label=pl.col("label").fill_null("continuous"),
            source="source",
            n_work=pl.col("n_work").fill_null(0),
        )
        .cast(LABEL_SCHEMA)  # type: ignore[arg-type]
        .sort(AID)
    )
