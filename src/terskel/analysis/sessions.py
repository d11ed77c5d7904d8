"""What kind of session each activity was, and why, for the `sessions` table.

Files of one outing (a separate warm-up, blocks and cool-down saved minutes
apart) are typed together: an outing is the runs of one local date whose gap
(start of the later minus end of the earlier) is under `OUTING_GAP`; its
`outing_id` is the activity id of its earliest file (by start, so it does not
follow the import order), and every file of it carries the
outing's type. Per-file numbers (work_s, threshold_s ...) stay the file's own,
so sums over files give the outing's totals. Rules: `RULES`, first match wins.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from terskel.analysis.session_reps import (
    BAND_FRAME,
    _drift,
    _rep_stats,
    _with_columns,
    classify_reps,
)
from terskel.analysis.session_rules import (
    AID,
    BAND_MODELS,
    CHANNELS,
    DEFAULT_PARAMS,
    RULES,
    RUN_SPORTS,
    TREADMILL,
    SessionParams,
    _type_outings,
)

__all__ = ["RULES", "SESSION_SCHEMA", "SessionParams", "classify_reps", "outings", "type_sessions"]

OUTING_GAP = dt.timedelta(minutes=20)

SESSION_SCHEMA: dict[str, pl.DataType] = {
    "activity_id": pl.Int64(),
    "outing_id": pl.Int64(),
    "local_date": pl.Date(),
    "iso_week": pl.String(),
    "half_day": pl.String(),
    "sport": pl.String(),
    "session_type": pl.String(),
    "structure": pl.String(),
    "distance_m": pl.Float64(),
    "moving_s": pl.Float64(),
    "work_s": pl.Float64(),
    "threshold_s": pl.Float64(),
    "above_threshold_s": pl.Float64(),
    "intensity_basis": pl.String(),
    "drift_hr_pct": pl.Float64(),
    "drift_pace_pct": pl.Float64(),
    "reason": pl.String(),
    "disputed": pl.Boolean(),  # HR, pace and power disagree: shown as `threshold?`
}


def outings(acts: pl.DataFrame) -> pl.DataFrame:
    """activity_id -> outing_id: runs of one local date less than OUTING_GAP apart."""
    a = acts.sort("start_utc").with_columns(
        local_date=pl.col("start_local").dt.date(),
        is_run=pl.col("sport").is_in(RUN_SPORTS),
        end_utc=pl.col("start_utc")
        + pl.duration(seconds=pl.col("elapsed_s").fill_null(pl.col("timer_s")).fill_null(0.0)),
    )
    key = ["local_date", "is_run"]
    prev_end = pl.col("end_utc").cum_max().shift(1).over(key)
    new = (
        prev_end.is_null()
        | ~pl.col("is_run")
        | ((pl.col("start_utc") - prev_end) >= pl.duration(seconds=OUTING_GAP.total_seconds()))
    )
    a = a.with_columns(grp=new.cum_sum().over(key))
    # the earliest file names the outing: ids follow the import order, start times do not
    first = pl.col(AID).sort_by("start_utc", AID).first()
    return a.select(AID, outing_id=first.over(*key, "grp"))


def type_sessions(
    acts: pl.DataFrame,
    segments: pl.DataFrame,
    labels: pl.DataFrame,
    band_time: pl.DataFrame,
    bands: pl.DataFrame,
    readings: pl.DataFrame,
    p: SessionParams = DEFAULT_PARAMS,
) -> pl.DataFrame:
    """One `sessions` row per activity (columns: SESSION_SCHEMA).

    acts: activity_id, sport, start_utc, start_local, elapsed_s, timer_s,
    distance_m (sub_sport, avg_hr, max_hr optional; every activity of the dates
    typed, all sports). segments: stored intervals. labels: activity_id, label.
    band_time: activity_id, zone (below|in|above), seconds (whole activity),
    model (band_hr | band_pace | band_power | band; without it: band). bands:
    activity_id, hr_lo, hr_hi, speed_lo, speed_hi (power and marker sources
    optional). readings: activity_id, set_no, rep_no, mmol.
    """
    acts = _with_columns(acts, {"sub_sport": pl.String(), "avg_hr": pl.Float64(),
                                "max_hr": pl.Float64()})  # fmt: skip
    outing = outings(acts)
    reps = classify_reps(segments, readings, bands, p)
    per = _per_activity(acts, outing, reps, segments, labels, band_time, bands)
    drift = _drift(reps, outing)
    typed = _type_outings(per, p)
    # the file with the most work carries the drift (ties: the earliest, not the first imported)
    primary = (
        per.sort("work_s", "start_utc", AID, descending=[True, False, False])
        .group_by("outing_id")
        .first()
    )
    per = (
        per.join(typed, on="outing_id", how="left")
        .join(drift, on="outing_id", how="left")
        .join(primary.select("outing_id", main=pl.col(AID)), on="outing_id", how="left")
        .with_columns(
            [
                pl.when(pl.col(AID) == pl.col("main")).then(pl.col(c)).alias(c)
                for c in ("drift_hr_pct", "drift_pace_pct")
            ]
        )
    )
    return _finish(per)


def _band_seconds(band_time: pl.DataFrame) -> pl.DataFrame:
    """Per activity: seconds below / in / above the band, per channel (and the combined band)."""
    bt = band_time if "model" in band_time.columns else band_time.with_columns(model=pl.lit("band"))
    seconds, zone, model = pl.col("seconds"), pl.col("zone"), pl.col("model")
    aggs = []
    for name, ch in (*BAND_MODELS.items(), ("band", "any")):
        for z in ("below", "in", "above"):
            aggs.append(seconds.filter((model == name) & (zone == z)).sum().alias(f"band_{z}_{ch}"))
    return bt.group_by(AID).agg(aggs)


def _per_activity(
    acts: pl.DataFrame,
    outing: pl.DataFrame,
    reps: pl.DataFrame,
    segments: pl.DataFrame,
    labels: pl.DataFrame,
    band_time: pl.DataFrame,
    bands: pl.DataFrame,
) -> pl.DataFrame:
    """Everything the rules look at, one row per activity."""
    b = _with_columns(bands, BAND_FRAME)
    known = b.select(
        AID,
        # the watch's max HR, read by the run-itself rules (session_evidence)
        device_max_hr=pl.when(pl.col("max_hr_source") == "device").then(pl.col("max_hr")),
        hr_known=pl.col("hr_lo").is_not_null(),
        pace_known=pl.col("speed_lo").is_not_null(),
        power_known=pl.col("power_lo").is_not_null(),
        rank_hr=_rank_expr(
            pl.when(pl.col("hr_band_basis") == "max_hr")
            .then(pl.col("max_hr_source"))
            .otherwise(pl.col("lt2_hr_source")),
            pl.col("hr_band_basis"),
        ),
        rank_pace=_rank_expr(pl.col("threshold_speed_mps_source"), pl.col("speed_band_basis")),
        rank_power=_rank_expr(pl.col("threshold_power_w_source"), pl.col("power_band_basis")),
    )
    band_cols = [f"band_{z}_{ch}" for ch in (*CHANNELS, "any") for z in ("below", "in", "above")]
    rep_cols = [f"rep_{k}_{ch}" for ch in (*CHANNELS, "rep") for k in ("in", "above", "known")]
    per = (
        acts.join(outing, on=AID)
        .join(_rep_stats(reps, segments), on=AID, how="left")
        .join(labels.select(AID, structure="label"), on=AID, how="left")
        .join(_band_seconds(band_time), on=AID, how="left")
        .join(known, on=AID, how="left")
        .with_columns(
            pl.col("n_work", "work_s", "work_m", "easy_m", "easy_s", "short_reps", *rep_cols)
            .fill_null(0)
            .cast(pl.Float64),
            pl.col(band_cols).fill_null(0.0),
            pl.col("lactate_reps").fill_null(0),
            pl.col("hr_known", "pace_known", "power_known").fill_null(False),
            moving_s=pl.coalesce("timer_s", "elapsed_s").fill_null(0.0),
            distance_m=pl.col("distance_m").fill_null(0.0),
            is_run=pl.col("sport").is_in(RUN_SPORTS),
            treadmill=pl.col("sub_sport").is_in(TREADMILL),
        )
    )
    # a store analysed before the per-channel bands existed: its combined band is HR's
    # (or pace's when there is no HR band)
    no_channel = (
        pl.sum_horizontal(
            [pl.col(f"band_{z}_{ch}") for ch in CHANNELS for z in ("below", "in", "above")]
        )
        == 0
    )
    legacy = []
    for ch, cond in (("hr", pl.col("hr_known")), ("pace", ~pl.col("hr_known"))):
        legacy += [
            pl.when(no_channel & cond)
            .then(pl.col(f"band_{z}_any"))
            .otherwise(pl.col(f"band_{z}_{ch}"))
            .alias(f"band_{z}_{ch}")
            for z in ("below", "in", "above")
        ]
    per = per.with_columns(legacy)
    blocks = []
    for ch in CHANNELS:
        hard = pl.col(f"band_in_{ch}") + pl.col(f"band_above_{ch}")
        total = hard + pl.col(f"band_below_{ch}")
        blocks += [
            hard.alias(f"hard_s_{ch}"),
            ((hard > 0) & (2 * hard >= total)).alias(f"is_block_{ch}"),
        ]
    return per.with_columns(blocks).with_columns(files=pl.len().over("outing_id"))


def _rank_expr(source: pl.Expr, basis: pl.Expr) -> pl.Expr:
    """How well a channel's band is founded: 0 set or synced, 1 lactate fit, 2 estimate."""
    return (
        pl.when(basis == "lactate")
        .then(pl.lit(1))
        .when(source == "estimate")
        .then(pl.lit(2))
        .when(source.is_not_null())
        .then(pl.lit(0))
        .otherwise(pl.lit(2))
    )


def _of_channel(prefix: str) -> pl.Expr:
    """A per-channel column of the channel that decided the outing (0 when none did)."""
    out: pl.Expr = pl.lit(0.0)
    # reps typed as a whole: rep time from the rep channel, band time from the combined band
    whole = {"rep_in": "rep_in_rep", "band_in": "band_in_any", "band_above": "band_above_any"}
    if prefix in whole:
        out = pl.when(pl.col("channel") == "rep").then(pl.col(whole[prefix])).otherwise(out)
    for ch in CHANNELS:
        out = pl.when(pl.col("channel") == ch).then(pl.col(f"{prefix}_{ch}")).otherwise(out)
    return out


def _finish(per: pl.DataFrame) -> pl.DataFrame:
    """Per-activity numbers, days in local time, in SESSION_SCHEMA."""
    band_in, band_above = _of_channel("band_in"), _of_channel("band_above")
    hard_block = (
        pl.col("block")
        & pl.col("session_type").is_in(["threshold", "race"])
        & (_of_channel("is_block").cast(pl.Boolean) | (pl.col("files") == 1))
    )
    return (
        per.with_columns(
            local_date=pl.col("start_local").dt.date(),
            iso_week=pl.col("start_local").dt.strftime("%G-W%V"),
            half_day=pl.when(pl.col("start_local").dt.hour() < 12)
            .then(pl.lit("AM"))
            .otherwise(pl.lit("PM")),
            work_s=pl.when(hard_block).then(band_in + band_above).otherwise(pl.col("work_s")),
            threshold_s=pl.when(hard_block).then(band_in).otherwise(_of_channel("rep_in")),
            above_threshold_s=band_above,
            structure=pl.col("structure"),
        )
        .select(list(SESSION_SCHEMA))
        .cast(SESSION_SCHEMA)  # type: ignore[arg-type]
        .sort(AID)
    )
