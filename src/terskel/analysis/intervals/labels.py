"""Labels a runner would write: `6x400m/200m`, `4x10min/1min + 10x200m/200m`,
`400-800-1200-800-400m`, `fartlek 12 x 45-90s`, `continuous`.

Each part of a session is written in the runner's dimension, for reps and
recoveries separately: time or distance, whichever repeats more exactly and
is rounder (see `_amount`). Recoveries are elapsed time (a stopped timer at a
standing recovery still counts).
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from terskel.analysis.intervals.segmentation import Track
    from terskel.analysis.intervals.structure import Parse

AID = "activity_id"

LABEL_SCHEMA: dict[str, pl.DataType] = {
    "activity_id": pl.Int64(),
    "label": pl.String(),
    "source": pl.String(),
    "n_work": pl.UInt32(),
    "confidence": pl.Float64(),
}

# Values a runner writes; others are rounded on a finer grid and cost a little.
_ROUND_M = (100, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1200, 1500, 1600, 2000, 3000, 5000)
_SUB_MINUTE_S = (10, 15, 20, 30, 40, 45, 50)
_ROUND_S = (*_SUB_MINUTE_S, 60, 90, 120, 150, 180, 240, 300, 360, 420, 480, 600, 720, 900)
_NOT_ROUND_COST = 0.1
# Weight of the coefficient of variation across reps in the time/distance choice.
_CV_WEIGHT = 2.0
# A list value this close is what the runner meant (stream boundaries are a few
# seconds off on reps of a few minutes).
_LIST_TOL = 0.1
# Lap durations within this many seconds of a whole 5 s were ended by the
# watch's timer (time-triggered workout steps): exact, never rounded.
_TIMER_STEP_S = 5.0
_TIMER_TOL_S = 1.0
# ... and lap distances within 1 m of a whole 50 m were ended by distance.
_DIST_STEP_M = 50.0
_DIST_TOL_M = 1.0
# Stream boundaries are up to ~7 s off each (p90), so a stream duration may be
# this far from the list value the runner meant.
_BOUNDARY_P90_S = 7.0
_STREAM_TOL_S = 15.0
# Recoveries are prescribed in time more often than in distance: on a near tie
# (within this rounding cost) a recovery is labelled in time.
_RECOVERY_TIME_BIAS = 0.03
# ... and reps and recoveries in one dimension are a little more likely than mixed
_SAME_DIM = 0.03
# A timed rep with a distance recovery (`6x90s/200m`) is rarely prescribed: the
# common mixed form is the other way round (`6x1km/2min`).
_TIME_REP_DIST_REC = 0.05
# GPS distance over a short rep is off by a few percent (corners, multipath): a
# spread of distances up to this relative size says nothing against distance.
_GPS_REL = 0.02
# slower than this (m/s) is a walk: nobody prescribes a walk in metres
_WALK_MPS = 1.8


def _nearest(
    x: float, preferred: tuple[int, ...], step: int, exact: bool = False, tol: float = _LIST_TOL
) -> tuple[int, float]:
    """The value a runner writes for x and its cost: the nearest list value within
    `tol` (cost: its relative error), else x on a `step` grid (plus `_NOT_ROUND_COST`
    unless `exact`: then the grid value is what the watch was set to)."""
    best = min(preferred, key=lambda v: abs(x - v) / v)
    cost_best = abs(x - best) / best
    if cost_best <= tol:
        return best, cost_best
    fine = max(step, round(x / step) * step)
    return fine, abs(x - fine) / fine + (0.0 if exact else _NOT_ROUND_COST)


def _fmt_s(s: int) -> str:
    if s % 60 == 0:
        return f"{s // 60}min"
    if s < 180:
        return f"{s}s"
    return f"{s // 60}:{s % 60:02d}"


def _fmt_m(m: int) -> str:
    return f"{m // 1000}km" if m % 1000 == 0 else f"{m}m"


def _options(
    s: list[float], m: list[float], recovery: bool, laps: bool
) -> dict[str, tuple[str, float]]:
    """Each dimension's text and cost: its spread across the reps (the runner
    controlled the one that repeats; a robust spread, so one rep cut short at
    a boundary does not decide) plus its rounding cost (see `_nearest`; a list
    value counts as round within the stream's boundary noise).

    Laps the watch ended on a whole 5 s (a 110 s workout step) are exact time,
    on a whole 50 m exact distance: the only option.
    """
    trigger = _trigger(s, m, laps)
    if trigger == "distance":
        return {
            "distance": (_fmt_m(round(float(np.mean(m)) / _DIST_STEP_M) * int(_DIST_STEP_M)), 0.0)
        }
    if trigger == "time":
        return {
            "time": (
                _fmt_s(max(5, round(float(np.mean(s)) / _TIMER_STEP_S) * int(_TIMER_STEP_S))),
                0.0,
            )
        }
    mean_s, mean_m = float(np.median(s)), float(np.median(m))
    tol = max(_LIST_TOL, _STREAM_TOL_S / max(mean_s, 1.0))
    s_val, s_cost = _nearest(mean_s, _ROUND_S, 10 if mean_s < 600 else 30, tol=tol)
    bias = _RECOVERY_TIME_BIAS if recovery else 0.0
    out = {"time": (_fmt_s(s_val), s_cost + _CV_WEIGHT * _rcv(s) - bias)}
    if mean_m >= _WALK_MPS * mean_s:  # standing or walking: only time makes sense
        # a measured distance is off by twice its GPS error or by its two boundary
        # errors (independent: sqrt(2) x p90), no more: a rep 7 % short is no 1 km
        tol_m = max(2 * _GPS_REL, _BOUNDARY_P90_S * math.sqrt(2.0) / max(mean_s, 1.0))
        m_val, m_cost = _nearest(mean_m, _ROUND_M, 50 if mean_m < 2000 else 100, tol=tol_m)
        spread = math.sqrt(max(0.0, _rcv(m) ** 2 - _GPS_REL**2))
        out["distance"] = (_fmt_m(m_val), m_cost + _CV_WEIGHT * spread)
    return out


def _rcv(x: list[float]) -> float:
    """Robust coefficient of variation: 1.4826 MAD / median."""
    a = np.asarray(x, dtype=float)
    med = float(np.median(a)) if a.size else 0.0
    return 1.4826 * float(np.median(np.abs(a - med))) / med if med > 0 else 0.0


def _rep_and_rest(
    rep_s: list[float], rep_m: list[float], rec_s: list[float], rec_m: list[float], laps: bool
) -> tuple[str, str]:
    """Rep and recovery texts, chosen together: one dimension for both is a little
    more likely (a track session is metres throughout)."""
    reps = _options(rep_s, rep_m, False, laps)
    if not rec_s:
        return min(reps.values(), key=lambda o: o[1])[0], ""
    recs = _options(rec_s, rec_m, True, laps)
    pairs = [
        (rc + cc + _mix_cost(rd, cd), rt, ct)
        for rd, (rt, rc) in reps.items()
        for cd, (ct, cc) in recs.items()
    ]
    _, rep, rec = min(pairs)
    return rep, rec


def _mix_cost(rep_dim: str, rec_dim: str) -> float:
    """Prior cost of writing reps in one dimension and recoveries in another."""
    if rep_dim == rec_dim:
        return -_SAME_DIM
    return _TIME_REP_DIST_REC if rep_dim == "time" else 0.0


def _cv(x: list[float]) -> float:
    a = np.asarray(x, dtype=float)
    return float(a.std() / a.mean()) if a.size and a.mean() > 0 else 0.0


def _off(x: list[float], step: float) -> float:
    a = np.asarray(x, dtype=float)
    return float(np.abs(a - np.round(a / step) * step).max()) if a.size else math.inf


def _trigger(s: list[float], m: list[float], laps: bool) -> str | None:
    """A watch-ended step repeats to the second (or metre) on a whole value."""
    if not laps or not s:
        return None
    if _off(s, _TIMER_STEP_S) <= _TIMER_TOL_S and _cv(s) * float(np.mean(s)) <= _TIMER_TOL_S:
        return "time"
    if _off(m, _DIST_STEP_M) <= _DIST_TOL_M and _cv(m) * float(np.mean(m)) <= _DIST_TOL_M:
        return "distance"
    return None


def _range_s(s: list[float]) -> str:
    lo, hi = min(s), max(s)
    if hi >= 180:
        a, b = max(1, round(lo / 60)), max(1, round(hi / 60))
        return f"{a}-{b}min" if a != b else f"{a}min"
    a, b = 5 * max(1, round(lo / 5)), 5 * max(1, round(hi / 5))
    return f"{a}-{b}s" if a != b else f"{a}s"


def _ladder_cost(x: list[float], near: list[tuple[int, float]]) -> float:
    """What a ladder's rounding in one dimension costs: the share of values off the
    runner's list, plus the spread of the rounding errors around their common offset.

    Both boundaries of every rep lag alike (a lap pressed late, a change point a
    bin off), so the prescribed dimension is off its round values by one offset:
    6-5-4-3-2 min run as 353-292-234-174-114 s is 6-8 s short each, while its
    distances (1182-951-794-605-389 m) are off by -49 to +5 m.
    """
    off = sum(c >= _NOT_ROUND_COST for _, c in near) / len(near)
    err = np.asarray([xi - v for xi, (v, _) in zip(x, near, strict=True)])
    # spread: mean absolute deviation without the largest (one rep cut short at a
    # boundary does not decide; a MAD would be 0 on durations quantized by 5 s
    # recording), x 1.25 for a standard deviation
    dev = np.sort(np.abs(err - np.median(err)))[:-1]
    spread = 1.25 * float(dev.mean())
    return off * _NOT_ROUND_COST + _CV_WEIGHT * spread / max(float(np.mean(x)), 1.0)


def _ladder(s: list[float], m: list[float]) -> str:
    """`400-800-1200-800-400m` or `1-2-3-2-1min`: the dimension whose values are
    round, off them by one common offset (see `_ladder_cost`)."""
    ms = [_nearest(x, _ROUND_M, 50 if x < 2000 else 100, exact=False) for x in m]
    ss = [_nearest(x, _ROUND_S, 10 if x < 600 else 30, exact=False) for x in s]
    if _ladder_cost(m, ms) <= _ladder_cost(s, ss):
        return "-".join(str(v) for v, _ in ms) + "m"
    if all(v % 60 == 0 for v, _ in ss):
        return "-".join(str(v // 60) for v, _ in ss) + "min"
    return "-".join(str(v) for v, _ in ss) + "s"


def part_text(
    kind: str,
    rep_s: list[float],
    rep_m: list[float],
    rec_s: list[float],
    rec_m: list[float],
    laps: bool,
    single: bool,
) -> str:
    """One part of a label: `6x400m/200m`, a ladder, a fartlek or a lone `1x1km`."""
    if kind == "fartlek":
        return f"fartlek {len(rep_s)} x {_range_s(rep_s)}"
    if kind == "ladder":
        return _ladder(rep_s, rep_m)
    rep, rec = _rep_and_rest(rep_s, rep_m, rec_s, rec_m, laps)
    rec = "/" + rec if rec else ""
    return f"{rep}{rec}" if single else f"{len(rep_s)}x{rep}{rec}"


def join_parts(texts: list[str], single: bool) -> str:
    """Parts joined as a runner writes them (a test protocol of singles: commas)."""
    if not texts:
        return "continuous"
    return ", ".join(texts) if single else " + ".join(texts)


def parse_label(parse: Parse, track: Track) -> str:
    """The label of one reading (for the alternatives of `--explain`)."""
    cd = np.concatenate([[0.0], np.cumsum(track.v)])
    texts = []
    for part in parse.parts:
        reps = part.reps
        rec_s = [float(b.start - a.end) for a, b in itertools.pairwise(reps)]
        rec_m = [float(cd[b.start] - cd[a.end]) for a, b in itertools.pairwise(reps)]
        texts.append(
            part_text(
                part.kind,
                [r.moving_s for r in reps],
                [r.dist for r in reps],
                rec_s,
                rec_m,
                False,
                False,
            )
        )
    return join_parts(texts, False)


def _activity_label(rows: list[dict[str, object]]) -> tuple[str, int]:
    """Label and rep count of one activity's segments (in order)."""
    sets: dict[int, dict[str, list[float]]] = {}
    kinds: dict[int, str] = {}
    laps = any(r["source"] == "laps" for r in rows)
    for r in rows:
        no = r["set_no"]
        if no is None:
            continue
        s = sets.setdefault(int(no), {"ws": [], "wm": [], "rs": [], "rm": []})  # type: ignore[call-overload]
        if r["kind"] == "work":
            s["ws"].append(float(r["duration_s"] or 0.0))  # type: ignore[arg-type]
            s["wm"].append(float(r["distance_m"] or 0.0))  # type: ignore[arg-type]
            kinds[int(no)] = str(r.get("set_kind") or "set")  # type: ignore[call-overload]
        elif r["kind"] == "recovery":
            if r.get("end_utc") is not None and r.get("start_utc") is not None:
                span = (r["end_utc"] - r["start_utc"]).total_seconds()  # type: ignore[operator]
            else:
                span = r["duration_s"] or 0.0
            s["rs"].append(float(span))
            s["rm"].append(float(r["distance_m"] or 0.0))  # type: ignore[arg-type]
    n_work = sum(len(s["ws"]) for s in sets.values())
    single = len(sets) > 1 and all(len(s["ws"]) == 1 for s in sets.values())
    if not single:
        _pair_extras(sets, kinds)
    texts = []
    for no in sorted(sets):
        s = sets[no]
        if not s["ws"]:
            continue
        n = len(s["ws"])
        # recoveries inside the set; a lone rep (a protocol step) keeps its own
        rs, rm = (s["rs"], s["rm"]) if single else (s["rs"][: n - 1], s["rm"][: n - 1])
        # a lone extra's lap is one value: within 1 s of a whole 5 s by chance two times
        # in five, it shows no watch-ended step (a protocol of singles shows it together)
        exact = laps and (single or kinds[no] != "extra")
        texts.append(part_text(kinds[no], s["ws"], s["wm"], rs, rm, exact, single))
    return join_parts(texts, single), n_work


# two lone efforts this alike (time and distance) are a set of two: runners write
# `+ 2x200m/2min`, never `+ 1x40s + 1x40s`
PAIR_SPREAD = 0.2


def _pair_extras(sets: dict[int, dict[str, list[float]]], kinds: dict[int, str]) -> None:
    """Merge neighbouring lone extra efforts of one length into a set of two, in place."""
    order = [no for no in sorted(sets) if sets[no]["ws"]]
    for a, b in itertools.pairwise(order):
        sa, sb = sets[a], sets[b]
        if kinds.get(a) != "extra" or kinds.get(b) != "extra" or not sa["ws"] or not sb["ws"]:
            continue
        if len(sa["ws"]) != 1 or len(sb["ws"]) != 1:
            continue
        alike = all(
            abs(x - y) <= PAIR_SPREAD * max(x, y)
            for x, y in ((sa["ws"][0], sb["ws"][0]), (sa["wm"][0], sb["wm"][0]))
        )
        if alike:
            sa["ws"] += sb["ws"]
            sa["wm"] += sb["wm"]
            sb["ws"], sb["wm"] = [], []
            kinds[a] = "set"


def session_labels(segments: pl.LazyFrame) -> pl.LazyFrame:
    """activity_id, label (e.g. '6x400m/200m', '4x10min/1min + 10x200m/200m', 'continuous'),
    source, n_work, confidence."""
    seg = segments.collect()
    if "set_kind" not in seg.columns:
        seg = seg.with_columns(set_kind=pl.lit(None, pl.String))
    if "confidence" not in seg.columns:
        seg = seg.with_columns(confidence=pl.lit(None, pl.Float64))
    out = []
    for (aid,), rows in (
        seg.sort(AID, "seg_index" if "seg_index" in seg.columns else AID)
        .partition_by(AID, as_dict=True, maintain_order=True)
        .items()
    ):
        d = rows.to_dicts()
        label, n = _activity_label(d)
        out.append((aid, label, d[0]["source"], n, d[0]["confidence"]))
    return pl.DataFrame(out, schema=LABEL_SCHEMA, orient="row").sort(AID).lazy()
