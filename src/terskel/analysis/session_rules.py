"""The session-typing rules: each intensity channel alone, then combined into one type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from terskel.analysis.session_evidence import from_session

AID = "activity_id"
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
    - long_s / long_m: a run at least this long (time or distance) is long (the model's
      long run is 16-18 km, threshold-model.md section 3: long from 18 km or 90 min).
    - own_hard: without markers, reps at least this much faster than the run's own
      warm-up and cool-down are hard (threshold reps run ~10K-half pace, easy ~20 % slower).
    - long_rep_s / vo2_rest: without markers, hard reps of long_rep_s or more are
      threshold unless each recovery is as long as the rep; shorter ones are vo2 when
      the recovery exceeds vo2_rest of the rep (the model's short-rep threshold formats
      rest at most half: 25 x 1 min / 30 s, 25 x 400 m; threshold-model.md section 3).
    - tempo_min_s: continuous time in/above the band needed for a tempo run.
    - tempo_share: ... and the share of the run (outing) it must make.
    - tempo_max_s: a continuous run longer than this is not held at threshold pace
      (threshold pace is about the best 60 min: the speed marker's own rule), so pace or
      power merely in the band over it, with HR under its band, is a steady run.
    - hard_share: share of rep (or run) time in/above the band that makes it hard.
    - race_min_m: a continuous effort mostly above the band, at least this long, is a race.
    - lactate_in: lactate (mmol/L) from which a rep is in / above the band.
    """

    short_rep_s: float = 60.0
    x_min_reps: int = 6
    lag_rep_s: float = 120.0
    long_s: float = 90 * 60.0
    long_m: float = 18_000.0
    tempo_min_s: float = 10 * 60.0
    tempo_share: float = 0.35
    tempo_max_s: float = 60 * 60.0
    hard_share: float = 0.5
    race_min_m: float = 3_000.0
    lactate_in: tuple[float, float] = (2.0, 4.0)
    own_hard: float = 0.10
    vo2_rest: float = 0.5
    long_rep_s: float = 180.0


# the defaults (a module-level instance: function defaults must not call)
DEFAULT_PARAMS = SessionParams()

RULES = (
    "other_sport: not a run",
    "x_element: >= 6 reps under 60 s, the median recovery at least as long as the median rep",
    "strides: fewer short reps than that leave the run as it is (easy stays easy)",
    "vo2: most rep time above the threshold band",
    "threshold: most rep time in (or above) the band; or, without reps, >= 10 min in or "
    "above the band making >= 35 % of the run (split outings: the files mostly in the band)",
    "race: like a tempo, but most of the run above the band and >= 3 km",
    "long: >= 90 min or >= 18 km without hard reps (a hard long run stays long)",
    "easy: any other run whose intensity is known",
    "no marker (too few runs): typed from the run itself, said so in the reason: reps >= 10 % "
    "faster than its warm-up/cool-down are hard; reps of 3 min or more are threshold unless "
    "each recovery is as long as the rep, shorter ones vo2 when the recovery is over half the "
    "rep; a continuous run is easy (long by its length), threshold when its mean HR is 87 % "
    "or more of the watch's own max HR for 10 min or more (a max the run exceeded not counted)",
    "intensity: each of HR (2nd-half for reps), pace (grade-adjusted where there is "
    "altitude) and power types the run alone; agreeing channels give the type, else a type "
    "two share, else the channel with the best-founded band (set/synced > lactate fit > "
    "estimate; tie: pace, power, HR; race only when no channel says threshold); over an "
    "hour, pace and power only in the band (< 10 min above it) with HR under its band give "
    "HR's type (threshold pace is about the best hour: such a run is steady); a "
    "disagreement shows as `threshold?` and the reason names both; reps of 2 min or more are "
    "judged by HR, shorter ones by pace; a lactate reading decides its rep",
    "long runs are long even when no marker is known; treadmill runs ignore pace when HR is "
    "there (without a marker too: treadmill reps are hard only by settled HR vs the watch's "
    "max)",
    "threshold band: HR/pace at 2-3 mmol/L from your lactate fit (when it passes the quality "
    "bar), else 92-100 % of LT2 HR (or 80-87 % of max HR); 90-104 % of threshold speed; "
    "90-100 % of threshold power",
    "outing: runs of one local date less than 20 min apart (split warm-up, blocks, "
    "cool-down files) are typed as one session",
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
        rep_hr=pl.col("rep_hr").median(),
        device_max_hr=pl.col("device_max_hr").max(),
        # the outing's own heart rate: its time-weighted mean and its highest
        run_hr=(pl.col("avg_hr") * pl.col("moving_s")).sum()
        / pl.col("moving_s").filter(pl.col("avg_hr").is_not_null()).sum(),
        run_max_hr=pl.col("max_hr").max(),
        rec_min=pl.col("rec_min").min(),
        rec_med=pl.col("rec_med").median(),
        work_m=pl.col("work_m").sum(),
        easy_m=pl.col("easy_m").sum(),
        easy_s=pl.col("easy_s").sum(),
        lactate_reps=pl.col("lactate_reps").sum(),
        # a structure was read from the streams (runs without speed are labelled unknown)
        streams=(pl.col("structure").is_not_null() & (pl.col("structure") != "unknown")).any(),
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
    if not seen and o["is_run"]:  # no marker: what the run itself shows
        return from_session(o, p, _rule(_view(o, "hr") | {"basis": "none"}, p))
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
    steady = _steady(o, p, seen, types)
    ch = "hr" if steady else ch
    others = "; ".join(f"{CHANNEL_NAMES[c]} says {types[c]}" for c in seen if types[c] != types[ch])
    rule = f" (over {p.tempo_max_s / 60:.0f} min, only in the band: steady)" if steady else ""
    why = f"{results[ch]['reason']} [{CHANNEL_NAMES[ch]} decides{rule}: {others}]"
    return results[ch] | {"reason": why, "disputed": True, "channel": ch}


def _steady(o: Mapping[str, Any], p: SessionParams, seen: list[str], types: dict[str, str]) -> bool:
    """A run over tempo_max_s that pace/power call threshold from time in the band, HR below.

    Pace and power (computed from speed) are one kind of evidence; over an hour
    they sit in the band only at its floor (marathon pace), and HR under its own
    band says the body agrees: a steady run, disputed. 10 min or more above the
    band is hard whatever HR says (HR under its band then means its marker is off).
    """
    if "hr" not in seen or types["hr"] not in ("easy", "long") or o["moving_s"] <= p.tempo_max_s:
        return False
    above = "above_blocks" if o["files"] > 1 else "band_above"
    run = [c for c in seen if c != "hr"]
    return bool(run) and all(
        types[c] == "threshold"
        and o[f"{above}_{c}"] < p.tempo_min_s
        and o[f"rank_{c}"] >= o["rank_hr"]
        for c in run
    )


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
    # full recoveries: the typical one at least as long as the typical rep (one short
    # recovery, a set break or a lap pressed late, does not undo a session of sprints)
    recs_full = o["rec_med"] is not None and o["rec_med"] >= (o["rep_med"] or 0)
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
