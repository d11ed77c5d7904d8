"""What a group of candidate reps saves: the part scores of the grammar (see `structure`).

A part (set, ladder, fartlek) is scored in nats against `continuous`:
regularity of rep and recovery lengths, one pace for its reps, the fit gain
of the rep/recovery contrast, minus the cost of the part's parameters. All
sums are running sums over the candidates (`Feats`, `add_rep`, `add_gap`),
so the grammar's dynamic programme extends a part by one rep in O(1).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from terskel.analysis.intervals.segmentation import BIN_S, Moments

# the nats an unpredicted length (10 s .. 30 min, log-uniform) costs
LOG_RANGE = math.log(math.log(180.0))
# a parameter of a part (a length, a speed, the count) described to within TAU
PARAM_NATS = math.log(math.log(180.0) / 0.06)
# the nats an unpredicted log speed costs, with nothing known (1.5 .. 8 m/s)
LOG_SPEED_RANGE = math.log(math.log(8.0 / 1.5))


# prescribed reps repeat within this relative spread
TAU = 0.06
# each boundary of a stream rep is this many seconds off (bin resolution)
BOUNDARY_S = BIN_S / 2
# reps in one part at most (a ladder has at most MAX_LADDER steps)
MAX_PART = 40
# parameters of a part (rep length, recovery length, speed): their nats ...
PART_COST = 3 * PARAM_NATS
# ... and its count, an integer 2..MAX_PART with a scale-free prior P(n) ~ 1/n
# (as many sets of 2-4 reps are prescribed as of 4-8 or 8-16): log n + log H nats
_LOG_HARMONIC = math.log(sum(1.0 / n for n in range(2, MAX_PART + 1)))


def count_nats(n: int) -> float:
    """The nats a part's rep count costs under the 1/n prior (3 reps: 2.3, 8: 3.3)."""
    return math.log(n) + _LOG_HARMONIC


# a fartlek's surges have no lengths to predict: it must pay its way by levels
FARTLEK_COST = 4 * PARAM_NATS
MIN_FARTLEK = 4
# a fartlek surge is short: longer efforts are a run's own pace changes
MAX_SURGE_S = 300.0
# reps of one part run at one pace within this relative spread
TAU_SPEED = 0.08
MAX_LADDER = 11
# a ladder's lengths step by at least this factor
LADDER_STEP = 1.15
# a recovery lasts at least this long (s; `structure.MIN_RECOVERY_S`)
RECOVERY_RUN_S = 3 * BIN_S


@dataclass(frozen=True)
class Stretch:
    """A candidate rep (fast stretch) with the gap after it, in grid rows."""

    start: int
    end: int
    moving_s: float
    dist: float
    speed: float


@dataclass
class Part:
    """A group of reps: kind set | ladder | fartlek | extra."""

    kind: str
    reps: list[Stretch]
    score: float
    dim: str = "time"


def _tau2(length: float) -> float:
    """Spread of a prescribed length measured from streams: TAU plus boundary noise."""
    return TAU**2 + (2 * BOUNDARY_S / max(length, 1.0)) ** 2


def _mirror(x: list[float], lengths: list[float]) -> float:
    """Nats saved by a ladder: lengths (log `x`) step evenly up to a peak and back
    (a descending ladder is an ascending one read backwards)."""
    n = len(x)
    peak = max(range(n), key=lambda i: x[i])
    if n < 3:
        return -math.inf
    if peak == 0:
        return _mirror(x[::-1], lengths[::-1]) if x[-1] < x[0] else -math.inf
    lin = [math.exp(v) for v in x]
    step = (lin[peak] - lin[0]) / peak
    if step <= 0:
        return -math.inf
    total = 0.0
    for i in range(n):
        pred = lin[0] + step * (peak - abs(i - peak))
        if pred <= 0:
            return -math.inf
        tau2 = _tau2(lengths[i])
        total += (x[i] - math.log(pred)) ** 2 / (2 * tau2) + 0.5 * math.log(2 * math.pi * tau2)
    # first value and the step are described; the rest are predicted
    return (n - 2) * LOG_RANGE - total


def _ladder_shape(lengths: list[float]) -> bool:
    """Lengths rise to a peak and fall, in >= 3 distinct steps: a pyramid, or only
    rising, or only falling (`6-5-4-3-2min`: the peak first)."""
    n = len(lengths)
    if n < 3 or n > MAX_LADDER:
        return False
    peak = max(range(n), key=lambda i: lengths[i])
    up = all(lengths[i + 1] > lengths[i] * LADDER_STEP for i in range(peak))
    down = all(lengths[i + 1] < lengths[i] / LADDER_STEP for i in range(peak, n - 1))
    return up and down


def _saving(n: int, sw: float, swx: float, swx2: float, sx: float, slog: float, lr: float) -> float:
    """Nats saved by predicting n log values from their mean (which is described),
    each within its own tau (weights w = 1/tau^2; slog = sum log(2 pi tau^2))."""
    if n < 2:
        return 0.0
    m = sx / n
    return (n - 1) * lr - 0.5 * (swx2 - 2 * m * swx + m * m * sw) - 0.5 * slog


_LOG_TAU_SPEED = math.log(2 * math.pi * TAU_SPEED**2)
# log of the shortest rep length the grid resolves to a quarter (see `group_parts`)
_LOG_RESOLVED_S = math.log(4 * 2 * BOUNDARY_S)


class Feats:
    """Per stretch and per gap between neighbours: the logs, weights and moments
    the part scores are summed from (computed once per parse)."""

    def __init__(self, st: list[Stretch], cd: np.ndarray, mo: Moments) -> None:
        self.mo = mo
        self.lt, self.ld, self.lv, self.w, self.slog = [], [], [], [], []
        self.rm: list[tuple[float, float, float]] = []
        for r in st:
            tau2 = _tau2(r.moving_s)
            self.lt.append(math.log(max(r.moving_s, 1.0)))
            self.ld.append(math.log(max(r.dist, 1.0)))
            self.lv.append(math.log(max(r.speed, 0.1)))
            self.w.append(1.0 / tau2)
            self.slog.append(math.log(2 * math.pi * tau2))
            self.rm.append(mo.over(r.start, r.end))
        self.glt, self.gld, self.gw, self.gslog, self.gstood = [], [], [], [], []
        self.gm: list[tuple[float, float, float]] = []
        for x, y in itertools.pairwise(st):
            t = float(y.start - x.end)
            tau2 = _tau2(t)
            self.glt.append(math.log(max(t, 1.0)))
            self.gld.append(math.log(max(float(cd[y.start] - cd[x.end]), 1.0)))
            self.gw.append(1.0 / tau2)
            self.gslog.append(math.log(2 * math.pi * tau2))
            self.gm.append(mo.over(x.end, y.start))
            self.gstood.append(float(self.gm[-1][0] < t / 2))  # moving under half of it


def _contrast(n: int, r: list[float], g: list[float]) -> float:
    """Fit gain: 0.5 log(1 + z^2) per rep, z the rep/recovery speed contrast over the
    pooled spread of the seconds inside reps and inside recoveries (moving time);
    standing recoveries have no moving seconds: their speed is 0."""
    nr, sr, ssr = r
    ng, sg, ssg = g
    if nr < 1:
        return -math.inf
    v_rep, v_gap = sr / nr, (sg / ng if ng >= 1 else 0.0)
    if v_rep <= v_gap:
        return -math.inf
    within = ssr - sr * sr / nr + (ssg - sg * sg / ng if ng >= 1 else 0.0)
    z = (v_rep - v_gap) / math.sqrt(max(within, 1e-6) / (nr + ng))
    return 0.5 * n * math.log1p(z * z)


def _outside(mo: Moments, a: int, b: int) -> list[float]:
    """Moments of the run's moving seconds before row a and after row b."""
    return [x + y for x, y in zip(mo.over(0, a), mo.over(b, mo.n.size - 1), strict=True)]


def group_parts(
    st: list[Stretch], i: int, j: int, acc: list[float], f: Feats, vbase: float
) -> list[Part]:
    """Readings of stretches[i:j] as a set, a ladder or a fartlek, from the sums `acc`
    (see `parse_reps` for their layout)."""
    n = j - i
    # recoveries stood, not run: at least half of them stood (moving under half their
    # elapsed time). Counted per recovery, not summed over time: one long stop (a
    # light, a shoelace) would otherwise outweigh the running of all the others
    stood = 2 * acc[25] >= n - 1
    easy = _outside(f.mo, st[i].start, st[j - 1].end) if stood else []
    if stood:
        # a stop is no evidence of effort (a steady run has lights too), so the reps
        # must stand out from the run's easy running outside the part (warm-up,
        # cool-down; at least one rep's length of it), not from standing still; with
        # less, from the walking or jogging inside the recoveries (a recovery's worth,
        # RECOVERY_RUN_S, each on average); with neither there is nothing to measure
        # them against: efforts between stops are one run with stops
        if easy[0] >= acc[11] / n:
            fit = _contrast(n, acc[11:14], easy)
        elif acc[14] >= (n - 1) * RECOVERY_RUN_S:
            fit = _contrast(n, acc[11:14], acc[14:17])
        else:
            return []
    else:
        fit = _contrast(n, acc[11:14], acc[14:17])
    if fit == -math.inf:
        return []
    sw, swt, swt2, sxt, swd, swd2, sxd, slog, sv, sv2 = acc[:10]
    reg_t = _saving(n, sw, swt, swt2, sxt, slog, LOG_RANGE)
    reg_d = _saving(n, sw, swd, swd2, sxd, slog, LOG_RANGE)
    mv = sv / n
    levels = (n - 1) * vbase - 0.5 * (sv2 - n * mv * mv) / TAU_SPEED**2
    levels -= 0.5 * n * _LOG_TAU_SPEED
    gw, gwt, gwt2, gxt, gwd, gwd2, gxd, gslog = acc[17:25]
    # recoveries are predicted from their mean, or sent as unpredicted lengths
    # (LOG_RANGE each, saving 0) when they do not repeat (hill reps jogged back
    # down, reps started when the group is ready): a recovery never costs more
    # than an unpredicted length, so irregular recoveries do not turn a set of
    # repeating reps into a fartlek (the set still pays for its recovery term).
    # Only reps whose length the grid resolves (boundary error 2 BOUNDARY_S at most
    # a quarter of the rep) show that they repeat; shorter ones (strides of 2-3 bins)
    # need regular recoveries to be a set
    rec = max(
        _saving(n - 1, gw, gwt, gwt2, gxt, gslog, LOG_RANGE),
        _saving(n - 1, gw, gwd, gwd2, gxd, gslog, LOG_RANGE),
        0.0 if acc[3] / n >= _LOG_RESOLVED_S else -math.inf,
    )
    base = fit + levels - PART_COST - count_nats(n)
    reps = st[i:j]
    dim = "time" if reg_t >= reg_d else "distance"
    # a rep 3 TAU_SPEED slower than the part's pace is no rep of it (a jog, a
    # cool-down); a faster one still is (a runner who speeds up over the last reps
    # ran the same set; the levels term already charges its spread)
    fits = mv - acc[26] <= 3 * TAU_SPEED
    out = [Part("set", reps, base + max(reg_t, reg_d) + rec, dim)] if fits else []
    if stood:  # recoveries stood, not run: no ladder, no fartlek
        return out
    if 3 <= n <= MAX_LADDER:
        for dim, key in (("time", "moving_s"), ("distance", "dist")):
            # a ladder's second rep is a step up or down (see `_ladder_shape`): a cheap test
            r0, r1 = getattr(reps[0], key), getattr(reps[1], key)
            if r0 / LADDER_STEP <= r1 <= r0 * LADDER_STEP:
                continue
            vals = [getattr(r, key) for r in reps]
            if _ladder_shape(vals):
                lad = _mirror([math.log(max(x, 1.0)) for x in vals], [r.moving_s for r in reps])
                out.append(Part("ladder", reps, base + lad + rec - PARAM_NATS, dim))
    if n >= MIN_FARTLEK and acc[10] <= MAX_SURGE_S:
        out.append(Part("fartlek", reps, fit + levels - FARTLEK_COST, "time"))
    return out


def _add_moments(acc: list[float], at: int, w: float, lt: float, ld: float) -> None:
    """Weighted sums of a part's log-time and log-distance, from slot `at` on (reps 0, gaps 17)."""
    acc[at] += w
    acc[at + 1] += w * lt
    acc[at + 2] += w * lt * lt
    acc[at + 3] += lt
    acc[at + 4] += w * ld
    acc[at + 5] += w * ld * ld
    acc[at + 6] += ld


def add_rep(acc: list[float], f: Feats, i: int, moving: float) -> None:
    lv = f.lv[i]
    _add_moments(acc, 0, f.w[i], f.lt[i], f.ld[i])
    acc[7] += f.slog[i]
    acc[8] += lv
    acc[9] += lv * lv
    acc[10] = max(acc[10], moving)
    acc[26] = min(acc[26], lv)
    for q, x in enumerate(f.rm[i]):
        acc[11 + q] += x


def add_gap(acc: list[float], f: Feats, i: int) -> None:
    for q, x in enumerate(f.gm[i]):
        acc[14 + q] += x
    _add_moments(acc, 17, f.gw[i], f.glt[i], f.gld[i])
    acc[24] += f.gslog[i]
    acc[25] += f.gstood[i]
