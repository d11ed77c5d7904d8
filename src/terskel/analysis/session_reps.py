"""Work reps by band class per channel, rep statistics and rep drift, for session typing."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from terskel.analysis.session_rules import AID, CHANNELS, DEFAULT_PARAMS, SessionParams


def _with_columns(frame: pl.DataFrame, columns: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """`frame` with these columns added as nulls where missing (hand-built and older frames)."""
    missing = [
        pl.lit(None, dtype).alias(c) for c, dtype in columns.items() if c not in frame.columns
    ]
    return frame.with_columns(missing) if missing else frame


BAND_FRAME = {
    c: pl.Float64() for c in ("hr_lo", "hr_hi", "speed_lo", "speed_hi", "power_lo", "power_hi")
} | {
    c: pl.String()
    for c in (
        "hr_band_basis", "speed_band_basis", "power_band_basis", "lt2_hr_source",
        "max_hr_source", "threshold_speed_mps_source", "threshold_power_w_source",
    )
} | {"max_hr": pl.Float64()}  # fmt: skip


def classify_reps(
    segments: pl.DataFrame,
    readings: pl.DataFrame,
    bands: pl.DataFrame,
    p: SessionParams = DEFAULT_PARAMS,
) -> pl.DataFrame:
    """Work reps with a band class (below | in | above | null) per channel and its basis.

    `cls_hr`, `cls_pace`, `cls_power`: the rep by each channel alone (a lactate
    reading, when the rep has one, decides every channel); `cls`/`basis`: the
    first known of lactate, HR, pace. `bands`: activity_id, hr_lo, hr_hi,
    speed_lo, speed_hi (power_lo, power_hi optional). `readings`: activity_id,
    set_no, rep_no, mmol (several per rep: their mean).
    """
    mmol = readings.group_by(AID, "set_no", "rep_no").agg(mmol=pl.col("mmol").mean())
    segments = _with_columns(segments, {"avg_power_w": pl.Float64(), "distance_m": pl.Float64()})
    reps = (
        segments.filter(pl.col("kind") == "work")
        .join(_with_columns(bands, BAND_FRAME), on=AID, how="left")
        .join(mmol, on=[AID, "set_no", "rep_no"], how="left")
        .with_columns(hr=pl.coalesce("avg_hr_2nd_half", "avg_hr"))
    )
    lo, hi = p.lactate_in
    by_lactate = _cls(pl.col("mmol"), pl.lit(lo), pl.lit(hi))
    by_hr = _cls(pl.col("hr"), pl.col("hr_lo"), pl.col("hr_hi"))
    by_pace = _cls(pl.col("avg_speed_mps"), pl.col("speed_lo"), pl.col("speed_hi"))
    by_power = _cls(pl.col("avg_power_w"), pl.col("power_lo"), pl.col("power_hi"))
    # heart rate lags a short effort: a short rep above the band by pace is above by HR too
    lagged = pl.when((pl.col("duration_s") < p.lag_rep_s) & (by_pace == "above")).then(
        pl.lit("above")
    )
    # the rep as a whole: HR (2nd half) settles in a rep of 2 min or more; a shorter rep
    # is judged by pace (or power), HR lagging behind it
    short = pl.col("duration_s") < p.lag_rep_s
    by_rep = pl.when(short).then(pl.coalesce(by_pace, by_power, by_hr))
    return reps.with_columns(
        cls=pl.coalesce(by_lactate, lagged.otherwise(by_hr), by_pace),
        cls_rep=pl.coalesce(by_lactate, by_rep.otherwise(pl.coalesce(by_hr, by_pace, by_power))),
        cls_hr=pl.coalesce(by_lactate, pl.when(by_hr.is_not_null()).then(lagged.otherwise(by_hr))),
        cls_pace=pl.coalesce(by_lactate, by_pace),
        cls_power=pl.coalesce(by_lactate, by_power),
        basis=pl.when(by_lactate.is_not_null())
        .then(pl.lit("lactate"))
        .when(by_hr.is_not_null())
        .then(pl.lit("hr"))
        .when(by_pace.is_not_null())
        .then(pl.lit("pace")),
    )


def _cls(value: pl.Expr, lo: pl.Expr, hi: pl.Expr) -> pl.Expr:
    known = value.is_not_null() & lo.is_not_null() & hi.is_not_null()
    inner = pl.when(value < lo).then(pl.lit("below")).when(value <= hi).then(pl.lit("in"))
    return pl.when(known).then(inner.otherwise(pl.lit("above")))


def _rep_stats(reps: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """Per activity: rep count, rep time by band class per channel, median rep and recovery."""
    segments = _with_columns(segments, {"distance_m": pl.Float64()})
    rec = (
        segments.filter(pl.col("kind") == "recovery")
        .group_by(AID)
        .agg(rec_med=pl.col("duration_s").median(), rec_min=pl.col("duration_s").min())
    )
    # the run's own easy running (warm-up and cool-down): what its reps are measured
    # against when no marker is known
    easy = (
        segments.filter(pl.col("kind").is_in(["warmup", "cooldown"]))
        .group_by(AID)
        .agg(easy_m=pl.col("distance_m").sum(), easy_s=pl.col("duration_s").sum())
    )
    dur = pl.col("duration_s")
    per_channel = []
    for ch in (*CHANNELS, "rep"):
        c = pl.col(f"cls_{ch}")
        per_channel += [
            dur.filter(c == "in").sum().alias(f"rep_in_{ch}"),
            dur.filter(c == "above").sum().alias(f"rep_above_{ch}"),
            dur.filter(c.is_not_null()).sum().alias(f"rep_known_{ch}"),
        ]
    return (
        reps.group_by(AID)
        .agg(
            *per_channel,
            n_work=pl.len(),
            work_s=dur.sum(),
            work_m=pl.col("distance_m").sum(),
            rep_med=dur.median(),
            rep_hr=pl.col("hr").median(),
            short_reps=(dur < 60.0).sum(),
            rep_basis=pl.col("basis").drop_nulls().mode().first(),
            lactate_reps=(pl.col("basis") == "lactate").sum(),
        )
        .join(rec, on=AID, how="left")
        .join(easy, on=AID, how="left")
    )


def _drift(reps: pl.DataFrame, outing: pl.DataFrame) -> pl.DataFrame:
    """Per outing: HR (2nd half) and pace change of the last third of reps vs the first."""
    r = reps.join(outing, on=AID).sort("outing_id", "start_utc")
    n = pl.len().over("outing_id")
    k = pl.max_horizontal(n // 3, pl.lit(1))
    pos = pl.int_range(pl.len()).over("outing_id")
    first, last = pos < k, pos >= n - k
    pace = 1.0 / pl.col("avg_speed_mps")
    return (
        r.with_columns(first=first, last=last, pace=pace)
        .group_by("outing_id")
        .agg(
            n_reps=pl.len(),
            hr_first=pl.col("hr").filter(pl.col("first")).mean(),
            hr_last=pl.col("hr").filter(pl.col("last")).mean(),
            pace_first=pl.col("pace").filter(pl.col("first")).mean(),
            pace_last=pl.col("pace").filter(pl.col("last")).mean(),
        )
        .filter(pl.col("n_reps") >= 3)
        .select(
            "outing_id",
            drift_hr_pct=(pl.col("hr_last") / pl.col("hr_first") - 1.0) * 100.0,
            drift_pace_pct=(pl.col("pace_last") / pl.col("pace_first") - 1.0) * 100.0,
        )
    )
