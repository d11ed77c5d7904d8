"""What kind of session each activity was, and why, for the `sessions` table.

Files of one outing (a separate warm-up, blocks and cool-down saved minutes
apart) are typed together: an outing is the runs of one local date whose gap
(start of the later minus end of the earlier) is under `OUTING_GAP`; its
`outing_id` is its smallest activity id, and every file of it carries the
outing's type. Per-file numbers (work_s, threshold_s ...) stay the file's own,
so sums over files give the outing's totals. Rules: `RULES`, first match wins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

AID = "activity_id"
OUTING_GAP = dt.timedelta(minutes=20)
RUN_SPORTS = ("running",)
ORDER = {"below": 0, "in": 1, "above": 2}


@dataclass(frozen=True)
class SessionParams:
    """The numbers behind the rules, each with its meaning.

    - short_rep_s: a rep shorter than this is a short fast rep (X element, stride).
    - x_min_reps: short reps needed for an X-element session; fewer are strides.
    - lag_rep_s: reps shorter than this count above the band when their HR *or*
      their pace is (heart rate lags a short effort).
    - long_s / long_m: a run at least this long (time or distance) is long.
    - tempo_min_s: continuous time in/above the band needed for a tempo run.
    - tempo_share: ... and the share of the run (outing) it must make.
    - hard_share: share of rep (or run) time in/above the band that makes it hard.
    - race_min_m: a continuous effort mostly above the band, at least this long, is a race.
    - lactate_in: lactate (mmol/L) from which a rep is in / above the band.
    """

    short_rep_s: float = 60.0
    x_min_reps: int = 6
    lag_rep_s: float = 120.0
    long_s: float = 70 * 60.0
    long_m: float = 14_000.0
    tempo_min_s: float = 10 * 60.0
    tempo_share: float = 0.35
    hard_share: float = 0.5
    race_min_m: float = 3_000.0
    lactate_in: tuple[float, float] = (2.0, 4.0)


RULES = (
    "other_sport: not a run",
    "x_element: >= 6 reps under 60 s, each recovery at least as long as the rep",
    "strides: fewer short reps than that leave the run as it is (easy stays easy)",
    "vo2: most rep time above the threshold band",
    "threshold: most rep time in (or above) the band; or, without reps, >= 10 min in or "
    "above the band making >= 35 % of the run (split outings: the files mostly in the band)",
    "race: like a tempo, but most of the run above the band and >= 3 km",
    "long: >= 70 min or >= 14 km without hard reps (a hard long run stays long)",
    "easy: any other run whose intensity is known",
    "unknown: no HR or pace marker to judge intensity",
    "band per rep: lactate reading if any (2-4 mmol/L in), else 2nd-half HR, else pace",
    "threshold band: HR/pace at 2-3 mmol/L from your lactate fit, else 92-100 % of LT2 HR "
    "(or 80-87 % of max HR), else 90-104 % of threshold speed",
    "outing: runs of one local date less than 20 min apart (split warm-up, blocks, "
    "cool-down files) are typed as one session",
)

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
    return a.select(AID, outing_id=pl.col(AID).min().over(*key, "grp"))


def classify_reps(
    segments: pl.DataFrame,
    readings: pl.DataFrame,
    bands: pl.DataFrame,
    p: SessionParams = SessionParams(),
) -> pl.DataFrame:
    """Work reps with `cls` (below | in | above | null) and the `basis` it rests on.

    `bands`: activity_id, hr_lo, hr_hi, speed_lo, speed_hi. `readings`:
    activity_id, set_no, rep_no, mmol (several per rep: their mean).
    """
    mmol = readings.group_by(AID, "set_no", "rep_no").agg(mmol=pl.col("mmol").mean())
    reps = (
        segments.filter(pl.col("kind") == "work")
        .join(bands, on=AID, how="left")
        .join(mmol, on=[AID, "set_no", "rep_no"], how="left")
        .with_columns(hr=pl.coalesce("avg_hr_2nd_half", "avg_hr"))
    )
    lo, hi = p.lactate_in
    by_lactate = _cls(pl.col("mmol"), pl.lit(lo), pl.lit(hi))
    by_hr = _cls(pl.col("hr"), pl.col("hr_lo"), pl.col("hr_hi"))
    by_pace = _cls(pl.col("avg_speed_mps"), pl.col("speed_lo"), pl.col("speed_hi"))
    lagged = pl.when((pl.col("duration_s") < p.lag_rep_s) & (by_pace == "above")).then(
        pl.lit("above")
    )
    return reps.with_columns(
        cls=pl.coalesce(by_lactate, lagged.otherwise(by_hr), by_pace),
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
    """Per activity: rep count, rep time by band class, median rep and recovery length."""
    rec = (
        segments.filter(pl.col("kind") == "recovery")
        .group_by(AID)
        .agg(rec_med=pl.col("duration_s").median(), rec_min=pl.col("duration_s").min())
    )
    dur = pl.col("duration_s")
    return (
        reps.group_by(AID)
        .agg(
            n_work=pl.len(),
            work_s=dur.sum(),
            rep_in=dur.filter(pl.col("cls") == "in").sum(),
            rep_above=dur.filter(pl.col("cls") == "above").sum(),
            rep_known=dur.filter(pl.col("cls").is_not_null()).sum(),
            rep_med=dur.median(),
            short_reps=(dur < 60.0).sum(),
            rep_basis=pl.col("basis").drop_nulls().mode().first(),
            lactate_reps=(pl.col("basis") == "lactate").sum(),
        )
        .join(rec, on=AID, how="left")
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


def type_sessions(
    acts: pl.DataFrame,
    segments: pl.DataFrame,
    labels: pl.DataFrame,
    band_time: pl.DataFrame,
    bands: pl.DataFrame,
    readings: pl.DataFrame,
    p: SessionParams = SessionParams(),
) -> pl.DataFrame:
    """One `sessions` row per activity (columns: SESSION_SCHEMA).

    acts: activity_id, sport, start_utc, start_local, elapsed_s, timer_s,
    distance_m (every activity of the dates typed, all sports). segments:
    stored intervals. labels: activity_id, label. band_time: activity_id,
    zone (below|in|above), seconds (whole activity). bands: activity_id,
    hr_lo, hr_hi, speed_lo, speed_hi. readings: activity_id, set_no, rep_no, mmol.
    """
    outing = outings(acts)
    reps = classify_reps(segments, readings, bands, p)
    per = _per_activity(acts, outing, reps, segments, labels, band_time, bands)
    drift = _drift(reps, outing)
    typed = _type_outings(per, p)
    primary = per.sort("work_s", AID, descending=[True, False]).group_by("outing_id").first()
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
    seconds = pl.col("seconds")
    bt = band_time.group_by(AID).agg(
        band_below=seconds.filter(pl.col("zone") == "below").sum(),
        band_in=seconds.filter(pl.col("zone") == "in").sum(),
        band_above=seconds.filter(pl.col("zone") == "above").sum(),
    )
    known = bands.select(
        AID,
        hr_known=pl.col("hr_lo").is_not_null(),
        pace_known=pl.col("speed_lo").is_not_null(),
    )
    return (
        acts.join(outing, on=AID)
        .join(_rep_stats(reps, segments), on=AID, how="left")
        .join(labels.select(AID, structure="label"), on=AID, how="left")
        .join(bt, on=AID, how="left")
        .join(known, on=AID, how="left")
        .with_columns(
            pl.col("n_work", "work_s", "rep_in", "rep_above", "rep_known", "short_reps")
            .fill_null(0)
            .cast(pl.Float64),
            pl.col("band_below", "band_in", "band_above").fill_null(0.0),
            pl.col("lactate_reps").fill_null(0),
            moving_s=pl.coalesce("timer_s", "elapsed_s").fill_null(0.0),
            hard_s=pl.col("band_in").fill_null(0.0) + pl.col("band_above").fill_null(0.0),
            distance_m=pl.col("distance_m").fill_null(0.0),
            is_run=pl.col("sport").is_in(RUN_SPORTS),
        )
        .with_columns(
            is_block=(pl.col("hard_s") > 0)
            & (
                2 * pl.col("hard_s")
                >= pl.col("band_in") + pl.col("band_above") + pl.col("band_below")
            )
        )
        .with_columns(files=pl.len().over("outing_id"))
    )


def _type_outings(per: pl.DataFrame, p: SessionParams) -> pl.DataFrame:
    """outing_id -> session_type, reason, intensity_basis (the rules, in order)."""
    agg = per.group_by("outing_id").agg(
        is_run=pl.col("is_run").all(),
        sport=pl.col("sport").first(),
        files=pl.len(),
        distance_m=pl.col("distance_m").sum(),
        moving_s=pl.col("moving_s").sum(),
        n_work=pl.col("n_work").sum(),
        short_reps=pl.col("short_reps").sum(),
        work_s=pl.col("work_s").sum(),
        rep_in=pl.col("rep_in").sum(),
        rep_above=pl.col("rep_above").sum(),
        rep_known=pl.col("rep_known").sum(),
        rep_med=pl.col("rep_med").median(),
        rec_min=pl.col("rec_min").min(),
        rep_basis=pl.col("rep_basis").drop_nulls().first(),
        lactate_reps=pl.col("lactate_reps").sum(),
        band_in=pl.col("band_in").sum(),
        band_above=pl.col("band_above").sum(),
        band_known=(pl.col("band_in") + pl.col("band_above") + pl.col("band_below")).sum(),
        hard_all=pl.col("hard_s").sum(),
        hard_blocks=pl.col("hard_s").filter(pl.col("is_block")).sum(),
        above_blocks=pl.col("band_above").filter(pl.col("is_block")).sum(),
        in_blocks=pl.col("band_in").filter(pl.col("is_block")).sum(),
        hr_known=pl.col("hr_known").any(),
        pace_known=pl.col("pace_known").any(),
        # one mask over the whole column (a mask built before drop_nulls has the wrong length)
        structure=pl.col("structure")
        .filter(pl.col("structure").is_not_null() & (pl.col("structure") != "continuous"))
        .str.join(" | "),
    )
    rows = [{"outing_id": r["outing_id"], **_rule(r, p)} for r in agg.iter_rows(named=True)]
    schema = {"outing_id": pl.Int64(), "session_type": pl.String(), "reason": pl.String()}
    schema |= {"intensity_basis": pl.String(), "block": pl.Boolean()}
    return pl.DataFrame(rows, schema=schema)


def _rule(o: Mapping[str, Any], p: SessionParams) -> dict[str, Any]:
    """The first rule that matches an outing: its type, a one-line reason, the basis."""
    basis = _basis(o)
    out = {"intensity_basis": basis, "block": False}
    if not o["is_run"]:
        return out | {"session_type": "other_sport", "reason": f"not a run ({o['sport']})"}
    label = f"{o['structure']}: " if o["structure"] else ""
    n, short = int(o["n_work"]), int(o["short_reps"])
    recs_full = o["rec_min"] is not None and o["rec_min"] >= (o["rep_med"] or 0)
    if n >= p.x_min_reps and short == n and recs_full:
        why = f"{label}{n} reps under {p.short_rep_s:.0f} s with full recoveries"
        return out | {"session_type": "x_element", "reason": why}
    strides = n > 0 and short == n
    if n > 0 and not strides and o["rep_known"] > 0:
        typed = _typed_reps(o, p, label, basis)
        if typed is not None:
            return out | typed
    if o["band_known"] > 0:
        typed = _typed_continuous(o, p, basis)
        if typed is not None:
            return out | typed | {"block": True}
    if basis == "none":
        why = f"{label}no HR or pace marker to judge intensity (set them in [athlete])"
        return out | {"session_type": "unknown", "reason": why}
    note = f"; {n} strides" if strides else ""
    if o["hard_all"] >= p.tempo_min_s:
        note += f"; {o['hard_all'] / 60:.0f} min in or above the band"
    if o["moving_s"] >= p.long_s or o["distance_m"] >= p.long_m:
        why = f"{o['distance_m'] / 1000:.1f} km in {o['moving_s'] / 60:.0f} min{note}"
        return out | {"session_type": "long", "reason": why}
    below = "reps below the threshold band" if n > 0 and not strides else "not hard"
    why = f"{label}{below} ({o['distance_m'] / 1000:.1f} km){note}"
    return out | {"session_type": "easy", "reason": why}


def _basis(o: Mapping[str, Any]) -> str:
    if o["lactate_reps"] > 0:
        return "lactate"
    if o["rep_basis"] is not None and o["n_work"] > 0:
        return str(o["rep_basis"])
    if o["hr_known"] and o["band_known"] > 0:
        return "hr"
    if o["pace_known"] and o["band_known"] > 0:
        return "pace"
    return "none"


def _typed_reps(
    o: Mapping[str, Any], p: SessionParams, label: str, basis: str
) -> dict[str, Any] | None:
    """vo2 or threshold from the reps' band classes; None when the reps are below the band."""
    known = o["rep_known"]
    above, inside = o["rep_above"] / known, o["rep_in"] / known
    share = f"{inside:.0%} of rep time in the band, {above:.0%} above ({basis})"
    if above >= p.hard_share or (above + inside >= p.hard_share and above > inside):
        return {"session_type": "vo2", "reason": f"{label}reps above the threshold band: {share}"}
    if above + inside >= p.hard_share:
        return {"session_type": "threshold", "reason": f"{label}reps in the band: {share}"}
    return None


def _typed_continuous(o: Mapping[str, Any], p: SessionParams, basis: str) -> dict[str, Any] | None:
    """threshold (tempo, split blocks) or race from time in/above the band; None when easy."""
    split = o["files"] > 1
    hard = o["hard_blocks"] if split else o["hard_all"]
    above = o["above_blocks"] if split else o["band_above"]
    inside = o["in_blocks"] if split else o["band_in"]
    if hard < p.tempo_min_s or hard < p.tempo_share * o["band_known"]:
        return None
    blocks = "blocks in split files" if split else "continuous"
    mins = f"{inside / 60:.0f} min in the band, {above / 60:.0f} min above ({basis})"
    if above > inside and 2 * above >= o["band_known"] and o["distance_m"] >= p.race_min_m:
        why = f"{blocks} effort mostly above the threshold band, race-like: {mins}"
        return {"session_type": "race", "reason": why}
    if o["moving_s"] >= p.long_s or o["distance_m"] >= p.long_m:
        return None
    return {"session_type": "threshold", "reason": f"{blocks} tempo: {mins}"}


def _finish(per: pl.DataFrame) -> pl.DataFrame:
    """Per-activity numbers, days in local time, in SESSION_SCHEMA."""
    hard_block = (
        pl.col("block")
        & pl.col("session_type").is_in(["threshold", "race"])
        & (pl.col("is_block") | (pl.col("files") == 1))
    )
    return (
        per.with_columns(
            local_date=pl.col("start_local").dt.date(),
            iso_week=pl.col("start_local").dt.strftime("%G-W%V"),
            half_day=pl.when(pl.col("start_local").dt.hour() < 12)
            .then(pl.lit("AM"))
            .otherwise(pl.lit("PM")),
            work_s=pl.when(hard_block)
            .then(pl.col("band_in") + pl.col("band_above"))
            .otherwise(pl.col("work_s")),
            threshold_s=pl.when(hard_block).then(pl.col("band_in")).otherwise(pl.col("rep_in")),
            above_threshold_s=pl.col("band_above"),
            structure=pl.col("structure"),
        )
        .select(list(SESSION_SCHEMA))
        .cast(SESSION_SCHEMA)  # type: ignore[arg-type]
        .sort(AID)
    )
