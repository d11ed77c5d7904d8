"""The runner's dimension of one set: time or distance, for reps and recoveries.

Each dimension's text and cost come from its spread across the reps (the
runner controlled the one that repeats; where the reps' pace tells it beyond its
noise, the pace: `_paced`) and its rounding (see `options`);
reps and recoveries are chosen together (`rep_and_rest`): a prior for one
dimension throughout, and one boundary lag for the whole set (`cycle_cost`),
which may also move the reps off the value the runner set (`lag_rounding`).
Watch-ended laps keep their exact value (`_trigger`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Values a runner writes; others are rounded on a finer grid and cost a little.
ROUND_M = (100, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1200, 1500, 1600, 2000, 3000, 5000)
_SUB_MINUTE_S = (10, 15, 20, 30, 40, 45, 50)
ROUND_S = (*_SUB_MINUTE_S, 60, 90, 120, 150, 180, 240, 300, 360, 420, 480, 600, 720, 900)
NOT_ROUND_COST = 0.1
# Weight of the coefficient of variation across reps in the time/distance choice.
CV_WEIGHT = 2.0
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
# Weight of the cycle's relative shortfall (see `cycle_cost`): as a rounding error.
_CYCLE_WEIGHT = 1.0
# slower than this (m/s) is a walk: rarely prescribed in metres (a walk back to the
# line is), so only where its pace says so (`_paced`)
_WALK_MPS = 1.8
# The reps' pace tells the dimension (`_paced`) when the slope of log duration on
# log speed is this many standard errors from the midway -0.5 (a two-sided 95 %).
_SLOPE_Z = 2.0


def nearest(
    x: float, preferred: tuple[int, ...], step: int, exact: bool = False, tol: float = _LIST_TOL
) -> tuple[int, float]:
    """The value a runner writes for x and its cost: the nearest list value within
    `tol` (cost: its relative error), else x on a `step` grid (plus `NOT_ROUND_COST`
    unless `exact`: then the grid value is what the watch was set to)."""
    best = min(preferred, key=lambda v: abs(x - v) / v)
    cost_best = abs(x - best) / best
    if cost_best <= tol:
        return best, cost_best
    fine = max(step, round(x / step) * step)
    return fine, abs(x - fine) / fine + (0.0 if exact else NOT_ROUND_COST)


def fmt_s(s: int) -> str:
    if s % 60 == 0:
        return f"{s // 60}min"
    if s < 180:
        return f"{s}s"
    return f"{s // 60}:{s % 60:02d}"


def fmt_m(m: int) -> str:
    return f"{m // 1000}km" if m % 1000 == 0 else f"{m}m"


# text, cost, value in s or m, and whether only a lag makes the value (`_lagged`)
Option = tuple[str, float, float, bool]


def lag_allowance(sample_s: float) -> float:
    """Seconds one boundary lag shared by a set may move a duration: its two
    boundaries each off by a p90 change-point error and a recording interval."""
    return math.sqrt(2.0) * math.hypot(_BOUNDARY_P90_S, sample_s)


def options(
    s: list[float], m: list[float], recovery: bool, laps: bool, sample_s: float = 1.0
) -> dict[str, list[Option]]:
    """Each dimension's candidate texts and costs: its spread across the reps (the
    runner controlled the one that repeats; a robust spread, so one rep cut short
    at a boundary does not decide) plus its rounding cost (see `nearest`; a list
    value counts as round within the stream's boundary noise).

    Besides the nearest value, the list values one shared boundary lag away
    (`lag_allowance`) are candidates: whether that lag is the set's, the
    recoveries tell (`lag_rounding`). A boundary sits on a recorded sample, so
    the recording interval `sample_s` widens the lag and the tolerances.
    Recoveries have no lagged values but both list values around their median
    within the tolerance (`_neighbours`): walked or stood, they scatter, and
    whether 103 s were 90 s overrun or 2 min cut short the cycle tells
    (`cycle_cost`), not which value is nearer.

    A walked recovery is written in time (a walk is prescribed in minutes),
    unless its pace says it was held in distance (`_paced`: 200 m walks taking
    118-204 s). A run recovery's spreads count only as its pace tells them
    (`_paced`), else not at all: three jogs at one pace repeat alike in both.

    Laps the watch ended on a whole 5 s (a 110 s workout step) are exact time,
    on a whole 50 m exact distance: the only option.
    """
    trigger = _trigger(s, m, laps)
    if trigger == "distance":
        d = round(float(np.mean(m)) / _DIST_STEP_M) * int(_DIST_STEP_M)
        return {"distance": [(fmt_m(d), 0.0, float(d), False)]}
    if trigger == "time":
        v = max(5, round(float(np.mean(s)) / _TIMER_STEP_S) * int(_TIMER_STEP_S))
        return {"time": [(fmt_s(v), 0.0, float(v), False)]}
    mean_s, mean_m = float(np.median(s)), float(np.median(m))
    tol = max(_LIST_TOL, (_STREAM_TOL_S + sample_s) / max(mean_s, 1.0))
    s_val, s_cost = nearest(mean_s, ROUND_S, 10 if mean_s < 600 else 30, tol=tol)
    bias = _RECOVERY_TIME_BIAS if recovery else 0.0
    s_spread = CV_WEIGHT * _rcv(s) - bias
    walked = mean_m < _WALK_MPS * mean_s
    # reps and recoveries are read by their pace where it tells (`_paced`); a walk is
    # written in metres only when it says so: its durations follow the walking speed
    # while its distances stay put (a walk back to a line)
    paced = _paced(s, m)
    walk_m = recovery and walked and paced is not None and paced[1] == 0.0
    if recovery and walked and not walk_m:
        paced = None
    # a jog's distance at its steady pace follows from its time (and the other way
    # round): where the pace cannot tell, the recoveries' spreads are no evidence
    # either, and the prior and the rounding decide (see `_RECOVERY_TIME_BIAS`)
    unpaced = recovery and not walked and paced is None
    if paced is not None:
        s_spread = CV_WEIGHT * paced[0] - bias
    elif unpaced:
        s_spread = -bias
    # recoveries are overrun, not lagged alike: only reps have lagged values, and
    # only between change points (laps are where the runner pressed)
    lag = 0.0 if recovery or laps else lag_allowance(sample_s)
    s_best = (fmt_s(s_val), s_cost, float(s_val), False)
    s_opts = _lagged(s_best, mean_s, lag)
    if recovery:
        s_opts += _neighbours(s_best, mean_s, tol, ROUND_S, fmt_s)
    out = {"time": [(tx, c + s_spread, v, g) for tx, c, v, g in s_opts]}
    if not walked or walk_m:  # else standing or walking: only time makes sense
        # a measured distance is off by twice its GPS error or by its two boundary
        # errors (independent: sqrt(2) x p90), no more: a rep 7 % short is no 1 km
        tol_m = max(2 * _GPS_REL, lag_allowance(sample_s) / max(mean_s, 1.0))
        m_val, m_cost = nearest(mean_m, ROUND_M, 50 if mean_m < 2000 else 100, tol=tol_m)
        spread = CV_WEIGHT * math.sqrt(max(0.0, _rcv(m) ** 2 - _GPS_REL**2))
        if paced is not None:
            spread = CV_WEIGHT * paced[1]
        elif unpaced:
            spread = 0.0
        lag_m = lag * mean_m / max(mean_s, 1.0)
        m_best = (fmt_m(m_val), m_cost, float(m_val), False)
        cands = _lagged(m_best, mean_m, lag_m, ROUND_M, fmt_m)
        if recovery:
            cands += _neighbours(m_best, mean_m, tol_m, ROUND_M, fmt_m)
        out["distance"] = [(tx, c + spread, v, g) for tx, c, v, g in cands]
    return out


def _lagged(
    best: Option,
    x: float,
    lag: float,
    preferred: tuple[int, ...] = ROUND_S,
    fmt: Callable[[int], str] = fmt_s,
) -> list[Option]:
    """The nearest option and the list values within one boundary lag of x."""
    out = [best]
    for v in preferred:
        if v != best[2] and abs(x - v) <= lag and abs(x - v) < v:
            out.append((fmt(v), abs(x - v) / v, float(v), True))
    return out


def _neighbours(
    best: Option, x: float, tol: float, preferred: tuple[int, ...], fmt: Callable[[int], str]
) -> list[Option]:
    """The list values either side of x besides the nearest, within `tol`: a
    scattered recovery's median says little between two of them, the cycle decides."""
    below = [v for v in preferred if v <= x]
    above = [v for v in preferred if v > x]
    out = []
    for v in below[-1:] + above[:1]:
        if v != best[2] and abs(x - v) / v <= tol:
            out.append((fmt(v), abs(x - v) / v, float(v), False))
    return out


def _paced(s: list[float], m: list[float]) -> tuple[float, float] | None:
    """The reps' spread in time and in distance as their pace tells it, or None
    when it cannot tell.

    Every boundary error (a change point a few seconds off, a boundary on a 5 s
    sample) moves a rep's duration and distance alike and leaves its speed: so
    the slope of log duration on log speed across the reps is 0 when the runner
    held the time (distances follow the pace) and -1 when they held the distance,
    whatever the boundaries did, while the spreads (`_rcv`) carry the boundary
    errors in both dimensions, and a MAD of five 5 s-quantised durations jumps.
    Where the slope is `_SLOPE_Z` standard errors from -0.5 (four reps at least:
    two degrees of freedom for its scatter), the dimension held has no spread and
    the other the reps' spread of log speed; else None (the spreads decide).
    """
    sa, ma = np.asarray(s, dtype=float), np.asarray(m, dtype=float)
    if sa.size < 4 or (sa <= 0).any() or (ma <= 0).any():
        return None
    x = np.log(ma / sa)
    x = x - x.mean()
    y = np.log(sa)
    y = y - y.mean()
    sxx = float(x @ x)
    if sxx <= 0:
        return None
    slope = float(x @ y) / sxx
    r = y - slope * x
    se = math.sqrt(float(r @ r) / (sa.size - 2) / sxx)
    if abs(slope + 0.5) <= _SLOPE_Z * se:
        return None
    pace = math.sqrt(sxx / sa.size)
    return (0.0, pace) if slope > -0.5 else (pace, 0.0)


def _rcv(x: list[float]) -> float:
    """Robust coefficient of variation: 1.4826 MAD / median."""
    a = np.asarray(x, dtype=float)
    med = float(np.median(a)) if a.size else 0.0
    return 1.4826 * float(np.median(np.abs(a - med))) / med if med > 0 else 0.0


def rep_and_rest(
    rep_s: list[float],
    rep_m: list[float],
    rec_s: list[float],
    rec_m: list[float],
    laps: bool,
    sample_s: float = 1.0,
) -> tuple[str, str]:
    """Rep and recovery texts, chosen together: one dimension for both is a little
    more likely (a track session is metres throughout), and one lag must explain
    both (see `cycle_cost`, `lag_rounding`)."""
    reps = options(rep_s, rep_m, False, laps, sample_s)
    if not rec_s:
        return min((o for os in reps.values() for o in os if not o[3]), key=lambda o: o[1])[0], ""
    recs = options(rec_s, rec_m, True, laps, sample_s)
    lag = 0.0 if laps else lag_allowance(sample_s)
    # each option's lags once (not once per pair it is in)
    rep_lags = {(d, o[2]): _Lagged.of(d, o[2], rep_s, rep_m) for d, os in reps.items() for o in os}
    rec_lags = {(d, o[2]): _Lagged.of(d, o[2], rec_s, rec_m) for d, os in recs.items() for o in os}
    rep_med = float(np.median(rep_s))
    cycle = rep_med + float(np.median(rec_s))
    pairs = []
    for rd, ros in reps.items():
        for cd, cos in recs.items():
            for rt, rc, rv, rg in ros:
                for ct, cc, cv, _ in cos:
                    a, b = rep_lags[rd, rv], rec_lags[cd, cv]
                    short = cycle_cost(a, b, cycle)
                    # a lag is the set's only if it closes the cycle too
                    credit = 0.0 if short > 0 else lag_rounding(a, b, cd, rep_med, cycle, lag, rg)
                    if rg and credit <= 0:  # a lagged value the lag must explain
                        continue
                    cost = rc + cc + _mix_cost(rd, cd) - credit + short
                    pairs.append((cost, rt, ct))
    _, rep_t, rec_t = min(pairs)
    return rep_t, rec_t


def lag_rounding(
    rep: _Lagged, rec: _Lagged, rec_dim: str, rep_med: float, cycle: float, lag: float, whole: bool
) -> float:
    """The reps' rounding cost a shared boundary lag explains away (credited back).

    Strides of 20 s measured as 25 s with 2 min recoveries measured as 115 s run
    5 s over and 5 s short: one lag; 30 s would be 5 s short with recoveries 5 s
    short too (no lag does both). When reps run over their value and the
    recoveries under theirs (never overrun: a runner does not cut a recovery
    short), a lag of the smaller of the two (at most `lag_allowance`) is the
    set's, and the reps' miss it explains costs what the lag costs the cycle
    (30 s reps do not become 20 s by a 10 s lag when 30 s fits). Reps short with
    recoveries long is no such evidence: recoveries overrun anyway; nor are
    recoveries short in metres (GPS on a jog is a few percent off).

    `rep`, `rec`: the two options' lags; `rep_med`: the reps' median duration;
    `cycle`: it plus the recoveries'.
    """
    a, b = rep.median, rec.median
    # a recovery short in metres may be GPS (a track jog reads long or short)
    if rec_dim != "time" or not a > 0 > b:
        return 0.0
    # the lag explains what reps gain and recoveries lose alike, no more
    lag_s = min(a, -b, lag)
    if whole and a - lag_s > rep.se:  # a lagged value: the lag must explain all of it
        return 0.0
    rv = max(rep_med - a, 1.0)
    # the lag is still a miss of the set's boundaries: a rounding error of its cycle
    return (abs(a) - abs(a - lag_s)) / rv - lag_s / max(cycle, 1.0)


@dataclass(frozen=True)
class _Lagged:
    """One option's lags over the measured efforts (see `_lags`), their median and
    robust standard error (`_se`): what `cycle_cost` and `lag_rounding` read."""

    median: float
    se: float

    @classmethod
    def of(cls, dim: str, value: float, s: list[float], m: list[float]) -> _Lagged:
        """The lags of the option (dim, value) over efforts of `s` seconds and `m` metres."""
        lags = _lags(dim, value, s, m)
        return cls(float(np.median(lags)), _se(lags))


def _lags(dim: str, value: float, s: list[float], m: list[float]) -> np.ndarray:
    """Seconds each measured effort runs over `value`: in time directly, in
    distance at the effort's own speed."""
    sa, ma = np.asarray(s, dtype=float), np.asarray(m, dtype=float)
    if dim == "time":
        return sa - value
    out: np.ndarray = (ma - value) / np.maximum(ma / np.maximum(sa, 1.0), 0.1)
    return out


def _se(x: np.ndarray) -> float:
    """Robust standard error of the centre of x (1.4826 MAD / sqrt n), its
    scatter never below one stream boundary's p90 error: three reps that agree
    by chance, or durations quantised by 5 s recording, say no more than that."""
    mad = 1.4826 * float(np.median(np.abs(x - np.median(x))))
    return max(mad, _BOUNDARY_P90_S) / math.sqrt(x.size)


def cycle_cost(rep: _Lagged, rec: _Lagged, cycle: float) -> float:
    """How far one reading's rep and recovery values miss the lag-free cycle.

    Stream boundaries of a set lag alike: the seconds a rep gains, its
    recoveries lose, so a rep-plus-recovery cycle is measured without the lag.
    A reading says how long reps and recoveries run over their values; the two
    must add up to no less than 0: the measured cycle is never shorter than the
    reading's (runners overrun a recovery, standing on or starting when ready,
    but do not cut it short). 6x400m/200m run as 90 s reps and 79 s recoveries
    looks round rep by rep in time (90 s, and 79 s is within a lag of 90 s), but
    `6x90s/90s` needs the reps on time and the recoveries 11 s short: a 165 s
    cycle for a 180 s one. In metres (414 m, 188 m at 4.6 and 2.4 m/s) the reps
    run 3 s over and the recoveries 5 s short: one lag. The cost is the relative
    shortfall of the cycle beyond the standard error of the two medians (three
    scattered reps say little), in the units of the rounding cost.

    `rep`, `rec`: the two options' lags; `cycle`: the measured cycle (s).
    """
    short = -(rep.median + rec.median)
    # what the reps' and recoveries' own scatter cannot tell from 0
    short = max(0.0, short - math.hypot(rep.se, rec.se))
    return _CYCLE_WEIGHT * short / max(cycle, 1.0)


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
