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
# intensity channels, the zone_time model of each, and the order that breaks a tie
CHANNELS = ("hr", "pace", "power")
BAND_MODELS = {"band_hr": "hr", "band_pace": "pace", "band_power": "power"}
TIE_ORDER = ("pace", "power", "hr")
CHANNEL_NAMES = {"hr": "HR", "pace": "pace", "power": "power"}
TREADMILL = ("treadmill", "indoor_running")


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
    "unknown: no HR, pace or power marker to judge intensity",
    "intensity: each of HR (2nd-half for reps), pace (grade-adjusted where there is "
    "altitude) and power types the run alone; agreeing channels give the type, else a type "
    "two share, else the channel with the best-founded band (set/synced > lactate fit > "
    "estimate; tie: pace, power, HR; race only when no channel says threshold); a "
    "disagreement shows as `threshold?` and the reason names both; reps of 2 min or more are "
    "judged by HR, shorter ones by pace; a lactate reading decides its rep",
    "long runs are long even when no marker is known; treadmill runs ignore pace when HR is there",
    "threshold band: HR/pace at 2-3 mmol/L from your lactate fit (when it passes the quality "
    "bar), else 92-100 % of LT2 HR (or 80-87 % of max HR); 90-104 % of threshold speed; "
    "90-100 % of threshold power",
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
    return a.select(AID, outing_id=pl.col(AID).min().over(*key, "grp"))


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
}  # fmt: skip


def classify_reps(
    segments: pl.DataFrame,
    readings: pl.DataFrame,
    bands: pl.DataFrame,
    p: SessionParams = SessionParams(),
) -> pl.DataFrame:
    """Work reps with a band class (below | in | above | null) per channel and its basis.

    `cls_hr`, `cls_pace`, `cls_power`: the rep by each channel alone (a lactate
    reading, when the rep has one, decides every channel); `cls`/`basis`: the
    first known of lactate, HR, pace. `bands`: activity_id, hr_lo, hr_hi,
    speed_lo, speed_hi (power_lo, power_hi optional). `readings`: activity_id,
    set_no, rep_no, mmol (several per rep: their mean).
    """
    mmol = readings.group_by(AID, "set_no", "rep_no").agg(mmol=pl.col("mmol").mean())
    segments = _with_columns(segments, {"avg_power_w": pl.Float64()})
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
    rec = (
        segments.filter(pl.col("kind") == "recovery")
        .group_by(AID)
        .agg(rec_med=pl.col("duration_s").median(), rec_min=pl.col("duration_s").min())
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
    distance_m (sub_sport optional; every activity of the dates typed, all
    sports). segments: stored intervals. labels: activity_id, label.
    band_time: activity_id, zone (below|in|above), seconds (whole activity),
    model (band_hr | band_pace | band_power | band; without it: band). bands:
    activity_id, hr_lo, hr_hi, speed_lo, speed_hi (power and marker sources
    optional). readings: activity_id, set_no, rep_no, mmol.
    """
    acts = _with_columns(acts, {"sub_sport": pl.String()})
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
            pl.col("n_work", "work_s", "short_reps", *rep_cols).fill_null(0).cast(pl.Float64),
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


def _type_outings(per: pl.DataFrame, p: SessionParams) -> pl.DataFrame:
    """outing_id -> session_type, reason, intensity_basis, disputed (the rules, in order)."""
    channel_aggs = []
    for ch in CHANNELS:
        block = pl.col(f"is_block_{ch}")
        channel_aggs += [
            pl.col(f"rep_in_{ch}").sum(),
            pl.col(f"rep_above_{ch}").sum(),
            pl.col(f"rep_known_{ch}").sum(),
            pl.col(f"band_in_{ch}").sum(),
            pl.col(f"band_above_{ch}").sum(),
            (pl.col(f"band_in_{ch}") + pl.col(f"band_above_{ch}") + pl.col(f"band_below_{ch}"))
            .sum()
            .alias(f"band_known_{ch}"),
            pl.col(f"hard_s_{ch}").sum().alias(f"hard_all_{ch}"),
            pl.col(f"hard_s_{ch}").filter(block).sum().alias(f"hard_blocks_{ch}"),
            pl.col(f"band_above_{ch}").filter(block).sum().alias(f"above_blocks_{ch}"),
            pl.col(f"band_in_{ch}").filter(block).sum().alias(f"in_blocks_{ch}"),
            pl.col(f"{ch}_known").any(),
            pl.col(f"rank_{ch}").min().fill_null(2),
        ]
    rep_aggs = [pl.col(f"rep_{k}_rep").sum() for k in ("in", "above", "known")]
    agg = per.group_by("outing_id").agg(
        *channel_aggs,
        *rep_aggs,
        is_run=pl.col("is_run").all(),
        treadmill=pl.col("treadmill").any(),
        sport=pl.col("sport").first(),
        files=pl.len(),
        distance_m=pl.col("distance_m").sum(),
        moving_s=pl.col("moving_s").sum(),
        n_work=pl.col("n_work").sum(),
        short_reps=pl.col("short_reps").sum(),
        work_s=pl.col("work_s").sum(),
        rep_med=pl.col("rep_med").median(),
        rec_min=pl.col("rec_min").min(),
        lactate_reps=pl.col("lactate_reps").sum(),
        # one mask over the whole column (a mask built before drop_nulls has the wrong length)
        structure=pl.col("structure")
        .filter(pl.col("structure").is_not_null() & (pl.col("structure") != "continuous"))
        .str.join(" | "),
    )
    rows = [{"outing_id": r["outing_id"], **_combined(r, p)} for r in agg.iter_rows(named=True)]
    schema = {"outing_id": pl.Int64(), "session_type": pl.String(), "reason": pl.String()}
    schema |= {"intensity_basis": pl.String(), "block": pl.Boolean(), "disputed": pl.Boolean()}
    schema |= {"channel": pl.String()}
    return pl.DataFrame(rows, schema=schema)


_KEYS = ("rep_in", "rep_above", "rep_known", "band_in", "band_above", "band_known", "hard_all",
         "hard_blocks", "above_blocks", "in_blocks")  # fmt: skip


def _view(o: Mapping[str, Any], ch: str) -> dict[str, Any]:
    """The outing as one channel sees it."""
    basis = "lactate" if o["lactate_reps"] > 0 else ch
    return {**o, **{k: o[f"{k}_{ch}"] for k in _KEYS}, "basis": basis}


def _channels(o: Mapping[str, Any]) -> list[str]:
    """Channels that saw this outing's intensity (pace not on a treadmill when HR saw it)."""
    seen = [ch for ch in CHANNELS if o[f"rep_known_{ch}"] > 0 or o[f"band_known_{ch}"] > 0]
    if o["treadmill"] and "pace" in seen and "hr" in seen:
        seen.remove("pace")  # treadmill speed is the belt's or a foot pod's guess
    return seen


def _combined(o: Mapping[str, Any], p: SessionParams) -> dict[str, Any]:
    """The type from every channel that saw the outing; where they disagree, say so.

    Agreeing channels give the type. Otherwise a type two channels share wins;
    else the channel whose band is best founded (set/synced > lactate fit >
    estimate); on a tie, pace (grade-adjusted), then power, then HR, since heart
    rate lags short efforts and drifts in long ones. `disputed` marks the type `?`.
    """
    seen = _channels(o)
    reps = _by_reps(o, p, seen)
    if reps is not None:
        return reps
    if int(o["n_work"]) > 0:  # reps below the band: the run is judged as a whole
        o = {**o, **{f"rep_known_{ch}": 0.0 for ch in CHANNELS}}
    if not seen or not o["is_run"]:
        view = _view(o, seen[0] if seen else "hr") | {"basis": "none" if not seen else seen[0]}
        return _rule(view, p) | {"disputed": False, "channel": seen[0] if seen else None}
    results = {ch: _rule(_view(o, ch), p) for ch in seen}
    types = {ch: r["session_type"] for ch, r in results.items()}
    if len(set(types.values())) == 1:  # the basis the report's intensity control reads
        ch = min(seen, key=lambda c: (o[f"rank_{c}"], CHANNELS.index(c)))
        return results[ch] | {"disputed": False, "channel": ch}
    votes = {t: [c for c in seen if types[c] == t] for t in types.values()}
    shared = [t for t, cs in votes.items() if len(cs) >= 2]
    pool = votes[shared[0]] if shared else seen
    ch = min(pool, key=lambda c: (o[f"rank_{c}"], TIE_ORDER.index(c)))
    tempo = [c for c in seen if types[c] == "threshold"]
    if types[ch] == "race" and tempo:  # a race is a race when every channel sees one
        ch = min(tempo, key=lambda c: (o[f"rank_{c}"], TIE_ORDER.index(c)))
    others = "; ".join(f"{CHANNEL_NAMES[c]} says {types[c]}" for c in seen if types[c] != types[ch])
    why = f"{results[ch]['reason']} [{CHANNEL_NAMES[ch]} decides: {others}]"
    return results[ch] | {"reason": why, "disputed": True, "channel": ch}


def _by_reps(o: Mapping[str, Any], p: SessionParams, seen: list[str]) -> dict[str, Any] | None:
    """threshold / vo2 / x_element from the reps as a whole (each rep by its settled channel).

    None when the outing has no hard reps; channels that would type the reps
    otherwise are named, and the type is disputed.
    """
    if not o["is_run"] or o["rep_known_rep"] <= 0:
        return None
    basis = (
        "lactate" if o["lactate_reps"] > 0 else ("hr" if "hr" in seen else (seen or ["pace"])[0])
    )
    view = {**o, **{k: o[f"{k}_rep"] for k in ("rep_in", "rep_above", "rep_known")}}
    view |= {"basis": basis, "band_known": 0.0, "hard_all": 0.0}
    result = _rule(view, p)
    if result["session_type"] not in ("threshold", "vo2", "x_element"):
        return None
    others = {}
    for ch in seen:
        mine = _view(o, ch)
        if mine["rep_known"] > 0 and result["session_type"] != "x_element":
            typed = _typed_reps(mine, p, "", ch)
            others[ch] = typed["session_type"] if typed else "below the band"
    dissent = {ch: t for ch, t in others.items() if t != result["session_type"]}
    if not dissent:
        return result | {"disputed": False, "channel": "rep"}
    names = "; ".join(f"{CHANNEL_NAMES[ch]} says {t}" for ch, t in dissent.items())
    why = f"{result['reason']} [reps of 2 min or more by HR, shorter by pace: {names}]"
    return result | {"reason": why, "disputed": True, "channel": "rep"}


def _rule(o: Mapping[str, Any], p: SessionParams) -> dict[str, Any]:
    """The first rule that matches an outing: its type, a one-line reason, the basis."""
    basis = o["basis"]
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
    note = f"; {n} strides" if strides else ""
    if o["hard_all"] >= p.tempo_min_s:
        note += f"; {o['hard_all'] / 60:.0f} min in or above the band"
    if o["moving_s"] >= p.long_s or o["distance_m"] >= p.long_m:
        if basis == "none":  # a long run is long whatever its intensity
            note += "; intensity unknown (no HR or pace marker)"
        why = f"{o['distance_m'] / 1000:.1f} km in {o['moving_s'] / 60:.0f} min{note}"
        return out | {"session_type": "long", "reason": why}
    if basis == "none":
        why = f"{label}no HR or pace marker to judge intensity (set them in [athlete])"
        return out | {"session_type": "unknown", "reason": why}
    below = "reps below the threshold band" if n > 0 and not strides else "not hard"
    why = f"{label}{below} ({o['distance_m'] / 1000:.1f} km, {basis}){note}"
    return out | {"session_type": "easy", "reason": why}


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
