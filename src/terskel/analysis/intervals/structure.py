"""The structure grammar: which efforts are reps, chosen by score.

A session is: warm-up, sets of >= 2 similar reps with similar recoveries
(set breaks between), at most `MAX_EXTRAS` lone efforts, cool-down; or a
ladder (rep lengths stepping up and down), or a fartlek (irregular repeated
surges); or `continuous`. Every parse is scored in nats, like a description
length against `continuous` (score 0):

- *regularity*: a set predicts its reps' lengths (time or distance, whichever
  repeats better) and its recoveries' lengths; each value predicted within
  `TAU` (plus boundary noise) saves the `LOG_RANGE` nats an unpredicted
  length costs (log-uniform over 10 s .. 30 min); values far from the set's
  mean cost more than they save;
- *levels*: reps of one part run at one speed (`TAU_SPEED`); what that saves
  is measured against the spread of the run's own effort levels (a steady
  run's efforts are all alike, so alike reps prove little there);
- *fit gain*: 0.5 log(1 + z^2) per rep, z the rep/recovery contrast over the
  pooled spread of the bins inside them;
- *complexity*: each part costs its parameters (`PART_COST`: count, rep and
  recovery length, speed, each to within TAU), and where it starts and ends
  among the candidates (log(k + 1) per boundary between blocks of parts and
  skipped candidates; parts that meet share one; running to the end is none).

Candidate reps come from thresholds between the effort levels of the
change-point fit (see `segmentation`): each threshold splits the efforts into
fast stretches and the rest; stops never end a stretch by themselves (a stop
between two fast efforts with no slow running is a light, not a recovery).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from terskel.analysis.intervals.segmentation import BIN_S, Moments, Piece, level_entropy

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
# parameters of a part (count, rep length, recovery length, speed): their nats
PART_COST = 4 * PARAM_NATS
# a fartlek's surges have no lengths to predict: it must pay its way by levels
FARTLEK_COST = 4 * PARAM_NATS
MIN_FARTLEK = 4
MAX_EXTRAS = 2
# a fartlek surge is short: longer efforts are a run's own pace changes
MAX_SURGE_S = 300.0
# reps of one part run at one pace within this relative spread
TAU_SPEED = 0.08
# an extra effort runs near the sets' pace, within this relative spread
TAU_EXTRA = 0.1
# a stop this long can end a rep (a standing recovery), in the variant that allows it
MIN_STANDING_S = 20.0
MIN_REP_S = 10.0
MAX_REP_S = 1800.0
# a recovery is at most this many times the rep around it, or this long (s)
MAX_RECOVERY_FACTOR = 4.0
MIN_MAX_RECOVERY_S = 360.0
# reps in one part at most; a ladder has at most this many steps
MAX_PART = 40
MAX_LADDER = 11
# a gap shorter than this much slow running (s) is no recovery (a stop is not one)
MIN_RECOVERY_RUN_S = 2 * BIN_S


def speed_base(pieces: list[Piece]) -> float:
    """The nats a rep's speed costs in a continuous reading of this run (see
    `segmentation.level_entropy`), at most LOG_SPEED_RANGE."""
    return min(LOG_SPEED_RANGE, level_entropy(pieces, TAU_SPEED))


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


@dataclass
class Parse:
    """One reading of a session: its parts and score (continuous: no parts)."""

    parts: list[Part] = field(default_factory=list)
    score: float = 0.0

    @property
    def reps(self) -> list[Stretch]:
        return [r for p in self.parts for r in p.reps]


def _stretches(pieces: list[Piece], thr: float, standing: bool = False) -> list[Stretch]:
    """Fast stretches of efforts above `thr`; stops without slow running between join
    (unless `standing`: then a stop of MIN_STANDING_S ends a stretch)."""
    out: list[Stretch] = []
    cur: list[Piece] = []
    slow_run = 0.0
    stood = 0.0
    for p in pieces:
        fast = not p.stop and p.speed > thr
        if fast:
            if cur and (slow_run >= MIN_RECOVERY_RUN_S or (standing and stood >= MIN_STANDING_S)):
                out.append(_stretch(cur))
                cur = []
            cur.append(p)
            slow_run = stood = 0.0
        elif cur:
            slow_run += p.moving_s
            stood += p.elapsed_s - p.moving_s
    if cur:
        out.append(_stretch(cur))
    return [s for s in out if MIN_REP_S <= s.moving_s <= MAX_REP_S]


def _stretch(ps: list[Piece]) -> Stretch:
    fast = [p for p in ps if not p.stop]
    moving = sum(p.moving_s for p in fast)
    dist = sum(p.dist for p in fast)
    return Stretch(ps[0].start, fast[-1].end, moving, dist, dist / max(moving, 1.0))


def _tau2(length: float) -> float:
    """Spread of a prescribed length measured from streams: TAU plus boundary noise."""
    return TAU**2 + (2 * BOUNDARY_S / max(length, 1.0)) ** 2


def _mirror(x: list[float], lengths: list[float]) -> float:
    """Nats saved by a ladder: lengths (log `x`) step evenly up to a peak and back."""
    n = len(x)
    peak = max(range(n), key=lambda i: x[i])
    if n < 3 or peak == 0:
        return -math.inf
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
    """Lengths rise to an inner peak and fall (or only rise), in >= 3 distinct steps."""
    n = len(lengths)
    if n < 3 or n > MAX_LADDER:
        return False
    peak = max(range(n), key=lambda i: lengths[i])
    up = all(lengths[i + 1] > lengths[i] * 1.15 for i in range(peak))
    down = all(lengths[i + 1] < lengths[i] / 1.15 for i in range(peak, n - 1))
    return peak > 0 and up and down


def _saving(n: int, sw: float, swx: float, swx2: float, sx: float, slog: float, lr: float) -> float:
    """Nats saved by predicting n log values from their mean (which is described),
    each within its own tau (weights w = 1/tau^2; slog = sum log(2 pi tau^2))."""
    if n < 2:
        return 0.0
    m = sx / n
    return (n - 1) * lr - 0.5 * (swx2 - 2 * m * swx + m * m * sw) - 0.5 * slog


_LOG_TAU_SPEED = math.log(2 * math.pi * TAU_SPEED**2)


class _Feats:
    """Per stretch and per gap between neighbours: the logs, weights and moments
    the part scores are summed from (computed once per parse)."""

    def __init__(self, st: list[Stretch], cd: np.ndarray, mo: Moments) -> None:
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
        self.glt, self.gld, self.gw, self.gslog, self.gel = [], [], [], [], []
        self.gm: list[tuple[float, float, float]] = []
        for x, y in itertools.pairwise(st):
            t = float(y.start - x.end)
            tau2 = _tau2(t)
            self.glt.append(math.log(max(t, 1.0)))
            self.gld.append(math.log(max(float(cd[y.start] - cd[x.end]), 1.0)))
            self.gw.append(1.0 / tau2)
            self.gslog.append(math.log(2 * math.pi * tau2))
            self.gel.append(t)
            self.gm.append(mo.over(x.end, y.start))


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


def _group_parts(
    st: list[Stretch], i: int, j: int, acc: list[float], f: _Feats, vbase: float
) -> list[Part]:
    """Readings of stretches[i:j] as a set, a ladder or a fartlek, from the sums `acc`
    (see `parse_reps` for their layout)."""
    n = j - i
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
    rec = max(
        _saving(n - 1, gw, gwt, gwt2, gxt, gslog, LOG_RANGE),
        _saving(n - 1, gw, gwd, gwd2, gxd, gslog, LOG_RANGE),
    )
    base = fit + levels - PART_COST
    reps = st[i:j]
    dim = "time" if reg_t >= reg_d else "distance"
    # a rep 3 TAU_SPEED off the part's pace is no rep of it (a jog, a cool-down)
    fits = max(mv - acc[26], acc[27] - mv) <= 3 * TAU_SPEED
    out = [Part("set", reps, base + max(reg_t, reg_d) + rec, dim)] if fits else []
    if acc[14] < acc[25] / 2:  # recoveries stood, not run: no ladder, no fartlek
        return out
    if 3 <= n <= MAX_LADDER:
        for dim, vals in (
            ("time", [r.moving_s for r in reps]),
            ("distance", [r.dist for r in reps]),
        ):
            if _ladder_shape(vals):
                lad = _mirror([math.log(max(x, 1.0)) for x in vals], [r.moving_s for r in reps])
                out.append(Part("ladder", reps, base + lad + rec - PARAM_NATS, dim))
    if n >= MIN_FARTLEK and acc[10] <= MAX_SURGE_S:
        out.append(Part("fartlek", reps, fit + levels - FARTLEK_COST, "time"))
    return out


def _extra(rep: Stretch, v_main: float, n_main: float, mo: Moments) -> float:
    """Score of a lone effort next to the sets (reps of median speed v_main and
    length n_main): near their pace, clear of the running around it (one rep
    length either side), and at least half a rep long."""
    if rep.moving_s < n_main / 2:
        return -math.inf
    d = math.log(max(rep.speed, 0.1) / v_main)
    tau2 = TAU_EXTRA**2
    level = LOG_SPEED_RANGE - d * d / (2 * tau2) - 0.5 * math.log(2 * math.pi * tau2)
    span = rep.end - rep.start
    lo, hi = max(0, rep.start - span), min(mo.n.size - 1, rep.end + span)
    n_in, s_in, ss_in = mo.over(rep.start, rep.end)
    n1, s1, ss1 = mo.over(lo, rep.start)
    n2, s2, ss2 = mo.over(rep.end, hi)
    n_out, s_out, ss_out = n1 + n2, s1 + s2, ss1 + ss2
    if n_in < 1 or n_out < 1:
        return -math.inf
    within = ss_in - s_in**2 / n_in + ss_out - s_out**2 / n_out
    z = (s_in / n_in - s_out / n_out) / math.sqrt(max(within, 1e-6) / (n_in + n_out))
    if z <= 0:
        return -math.inf
    return 0.5 * math.log1p(n_in / BIN_S * z * z) + level - PARAM_NATS / 2


def _recovery(a: Stretch, b: Stretch) -> bool:
    """Whether the gap between two reps can be a recovery (not a run of its own)."""
    longer = max(a.end - a.start, b.end - b.start)
    return b.start - a.end <= max(MAX_RECOVERY_FACTOR * longer, MIN_MAX_RECOVERY_S)


def _add_rep(acc: list[float], f: _Feats, i: int, moving: float) -> None:
    w, lt, ld, lv = f.w[i], f.lt[i], f.ld[i], f.lv[i]
    acc[0] += w
    acc[1] += w * lt
    acc[2] += w * lt * lt
    acc[3] += lt
    acc[4] += w * ld
    acc[5] += w * ld * ld
    acc[6] += ld
    acc[7] += f.slog[i]
    acc[8] += lv
    acc[9] += lv * lv
    acc[10] = max(acc[10], moving)
    acc[26], acc[27] = min(acc[26], lv), max(acc[27], lv)
    for q, x in enumerate(f.rm[i]):
        acc[11 + q] += x


def _add_gap(acc: list[float], f: _Feats, i: int) -> None:
    for q, x in enumerate(f.gm[i]):
        acc[14 + q] += x
    w, lt, ld = f.gw[i], f.glt[i], f.gld[i]
    acc[17] += w
    acc[18] += w * lt
    acc[19] += w * lt * lt
    acc[20] += lt
    acc[21] += w * ld
    acc[22] += w * ld * ld
    acc[23] += ld
    acc[24] += f.gslog[i]
    acc[25] += f.gel[i]


def parse_reps(
    stretches: list[Stretch], cd: np.ndarray, mo: Moments, vbase: float = LOG_SPEED_RANGE
) -> Parse:
    """Best split of the candidates into parts and skipped ones (dynamic programming)."""
    k = len(stretches)
    where = math.log(k + 1)
    bp, bs = [-math.inf] * (k + 1), [0.0] * (k + 1)  # stretches[:j] ending in a part / a skip
    back: list[tuple[int, bool, Part | None]] = [(0, False, None)] * (k + 1)
    f = _Feats(stretches, cd, mo)
    for j in range(1, k + 1):
        bs[j] = max(bs[j - 1], bp[j - 1] - where)
        # running sums of stretches[i:j]: reps (weights, time, distance, log, speed), longest
        # rep, rep and gap moments, gaps (weights, time, distance, log), gap time, speed range
        acc = [0.0] * 26 + [math.inf, -math.inf]
        _add_rep(acc, f, j - 1, stretches[j - 1].moving_s)
        for i in range(j - 2, max(-1, j - 1 - MAX_PART), -1):
            if not _recovery(stretches[i], stretches[i + 1]):
                break  # a set break: parts do not reach across it
            _add_rep(acc, f, i, stretches[i].moving_s)
            _add_gap(acc, f, i)
            prev = max(bp[i], bs[i]) - where
            for part in _group_parts(stretches, i, j, acc, f, vbase):
                if prev + part.score > bp[j]:
                    bp[j], back[j] = prev + part.score, (i, bp[i] > bs[i], part)
    parts: list[Part] = []
    j, in_part = k, bp[k] > bs[k]
    while j > 0:
        if not in_part:  # a skipped candidate; a part before it pays the boundary
            j, in_part = j - 1, bp[j - 1] - where > bs[j - 1]
            if in_part:
                back[j][2].score -= where  # type: ignore[union-attr]
            continue
        j, in_part, chosen = back[j]
        chosen.score -= where  # type: ignore[union-attr]
        parts.append(chosen)  # type: ignore[arg-type]
    return _with_extras(Parse(parts[::-1], max(bp[k], bs[k])), stretches, cd, mo)


def _with_extras(parse: Parse, stretches: list[Stretch], cd: np.ndarray, mo: Moments) -> Parse:
    """Add up to MAX_EXTRAS lone efforts that score on their own."""
    used = {(r.start, r.end) for r in parse.reps}
    main = [r for p in parse.parts if p.kind == "set" for r in p.reps]
    if not main:
        return parse
    v_main = float(np.median([r.speed for r in main]))
    n_main = float(np.median([r.moving_s for r in main]))
    scored = sorted(
        ((_extra(s, v_main, n_main, mo), s) for s in stretches if (s.start, s.end) not in used),
        key=lambda x: -x[0],
    )
    where = math.log(len(stretches) + 1)  # which of the candidates it is
    extras = [Part("extra", [s], sc - where) for sc, s in scored[:MAX_EXTRAS] if sc > where]
    if not extras:
        return parse
    parts = sorted(parse.parts + extras, key=lambda p: p.reps[0].start)
    return Parse(parts, parse.score + sum(e.score for e in extras))
