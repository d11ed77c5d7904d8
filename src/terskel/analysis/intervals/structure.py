"""The structure grammar: which efforts are reps, chosen by score.

A session is: warm-up, sets of >= 2 similar reps with similar recoveries
(set breaks between), at most `MAX_EXTRAS` lone efforts, cool-down; or a
ladder (rep lengths stepping up and down), or a fartlek (irregular repeated
surges); or `continuous`. Every parse is scored in nats, like a description
length against `continuous` (score 0):

- *regularity*: a set predicts its reps' lengths (time or distance, whichever
  repeats better) and its recoveries' lengths; each value predicted within
  `TAU` (plus boundary noise) saves the `LOG_RANGE` nats an unpredicted
  length costs; values far from the set's mean cost more than they save;
- *levels*: reps of one part run at one speed (saving per rep as above, on
  log speed with `TAU`);
- *fit gain*: 0.5 log(1 + z^2) per rep, z the rep/recovery contrast over the
  pooled spread of the bins inside them;
- *complexity*: each part costs its parameters (`PART_COST`).

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

from terskel.analysis.intervals.segmentation import BIN_S, Piece

# the nats an unpredicted length (10 s .. 30 min, log-uniform) costs
LOG_RANGE = math.log(180.0)
# the nats an unpredicted log speed (1.5 .. 8 m/s) costs
LOG_SPEED_RANGE = math.log(math.log(8.0 / 1.5))
# prescribed reps repeat within this relative spread
TAU = 0.06
# each boundary of a stream rep is this many seconds off (bin resolution)
BOUNDARY_S = BIN_S / 2
# parameters of a part (count, rep length, recovery length, speed): their nats
PART_COST = 3 * LOG_RANGE
# a fartlek's surges have no lengths to predict: it must pay its way by levels
FARTLEK_COST = 4 * LOG_RANGE
MIN_FARTLEK = 4
MAX_EXTRAS = 2
# a fartlek surge is short: longer efforts are a run's own pace changes
MAX_SURGE_S = 300.0
# reps of one part run at one pace within this relative spread
TAU_SPEED = 0.04
# an extra effort runs near the sets' pace, within this relative spread
TAU_EXTRA = 0.1
# a stop this long can end a rep (a standing recovery), in the variant that allows it
MIN_STANDING_S = 20.0
MIN_REP_S = 10.0
MAX_REP_S = 1800.0
# a recovery is at most this many times the rep around it, or this long (s)
MAX_RECOVERY_FACTOR = 4.0
MIN_MAX_RECOVERY_S = 360.0
# reps in one part at most
MAX_PART = 40
# thresholds tried per run (between the most separated effort levels)
MAX_THRESHOLDS = 4
# a gap shorter than this much slow running (s) is no recovery (a stop is not one)
MIN_RECOVERY_RUN_S = 2 * BIN_S


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


def thresholds(pieces: list[Piece], sigma: float) -> list[float]:
    """Midpoints between effort levels, the most separated (in noise units) first."""
    levels = sorted({round(p.speed, 2) for p in pieces if not p.stop and p.moving_s >= BIN_S})
    if len(levels) < 2:
        return []
    mids = [((a + b) / 2, (b - a) / sigma) for a, b in itertools.pairwise(levels)]
    mids.sort(key=lambda m: -m[1])
    return [m for m, _ in mids[:MAX_THRESHOLDS]]


def _regularity(x: np.ndarray, rel_noise: np.ndarray) -> float:
    """Nats saved by predicting log lengths `x` from their mean (which is described)."""
    if x.size < 2:
        return 0.0
    tau2 = TAU**2 + rel_noise**2
    resid = (x - x.mean()) ** 2 / (2 * tau2) + 0.5 * np.log(2 * math.pi * tau2)
    return float((x.size - 1) * LOG_RANGE - resid.sum())


def _mirror(x: np.ndarray, rel_noise: np.ndarray) -> float:
    """Nats saved by a ladder: lengths step evenly up to the middle and back."""
    n = x.size
    if n < 3:
        return -math.inf
    peak = int(np.argmax(x))
    if peak == 0:
        return -math.inf
    lin = np.exp(x)
    step = (lin[peak] - lin[0]) / peak
    if step <= 0:
        return -math.inf
    pred = np.array([lin[0] + step * (peak - abs(i - peak)) for i in range(n)])
    if (pred <= 0).any():
        return -math.inf
    tau2 = TAU**2 + rel_noise**2
    r = (x - np.log(pred)) ** 2 / (2 * tau2) + 0.5 * np.log(2 * math.pi * tau2)
    # first value and the step are described; the rest are predicted
    return float((n - 2) * LOG_RANGE - r.sum())


@dataclass(frozen=True)
class Moments:
    """Prefix sums over one activity's grid rows: moving seconds, speed, speed^2."""

    n: np.ndarray
    s: np.ndarray
    ss: np.ndarray

    @classmethod
    def of(cls, v: np.ndarray, moving: np.ndarray) -> Moments:
        """Prefix sums of the moving seconds of speed `v`."""
        m = moving.astype(float)
        z = np.zeros(1)
        return cls(
            np.concatenate([z, np.cumsum(m)]),
            np.concatenate([z, np.cumsum(v * m)]),
            np.concatenate([z, np.cumsum(v * v * m)]),
        )

    def over(self, a: int, b: int) -> tuple[float, float, float]:
        """Moving seconds, sum of speed and of speed^2 over rows a..b."""
        return (
            float(self.n[b] - self.n[a]),
            float(self.s[b] - self.s[a]),
            float(self.ss[b] - self.ss[a]),
        )


def _contrast(reps: list[Stretch], mo: Moments) -> float:
    """Fit gain: 0.5 log(1 + z^2) per rep, z the rep/recovery speed contrast over the
    pooled spread of the seconds inside reps and inside recoveries (moving time)."""
    if len(reps) < 2:
        return 0.0
    r = np.array([mo.over(x.start, x.end) for x in reps])
    g = np.array([mo.over(a.end, b.start) for a, b in itertools.pairwise(reps)])
    nr, ng = r[:, 0].sum(), g[:, 0].sum()
    if nr < 1:
        return -math.inf
    # standing recoveries have no moving seconds: their speed is 0
    v_rep, v_gap = r[:, 1].sum() / nr, (g[:, 1].sum() / ng if ng >= 1 else 0.0)
    if v_rep <= v_gap:
        return -math.inf
    within = r[:, 2].sum() - r[:, 1].sum() ** 2 / nr
    if ng >= 1:
        within += g[:, 2].sum() - g[:, 1].sum() ** 2 / ng
    spread = math.sqrt(max(within, 1e-6) / (nr + ng))
    z = (v_rep - v_gap) / spread
    return 0.5 * len(reps) * math.log1p(z * z)


def _levels(reps: list[Stretch]) -> float:
    v = np.log([max(r.speed, 0.1) for r in reps])
    if v.size < 2:
        return 0.0
    r = (v - v.mean()) ** 2 / (2 * TAU_SPEED**2) + 0.5 * math.log(2 * math.pi * TAU_SPEED**2)
    return float((v.size - 1) * LOG_SPEED_RANGE - r.sum())


def _gaps(reps: list[Stretch], cd: np.ndarray) -> list[tuple[float, float]]:
    """Elapsed seconds and metres between consecutive reps (paused time included)."""
    return [
        (float(b.start - a.end), float(cd[b.start] - cd[a.end]))
        for a, b in itertools.pairwise(reps)
    ]


def score_group(reps: list[Stretch], cd: np.ndarray, mo: Moments) -> list[Part]:
    """The best reading of consecutive reps as one part (set, ladder, fartlek)."""
    gaps = _gaps(reps, cd)
    fit = _contrast(reps, mo)
    if fit == -math.inf:
        return []
    dur = np.array([r.moving_s for r in reps])
    noise = 2 * BOUNDARY_S / dur
    xt, xd = np.log(dur), np.log(np.maximum([r.dist for r in reps], 1.0))
    levels = _levels(reps)
    rec = 0.0
    if len(gaps) >= 2:
        g = np.array([max(t, 1.0) for t, _ in gaps])
        gd = np.array([max(d, 1.0) for _, d in gaps])
        gn = 2 * BOUNDARY_S / g
        rec = max(_regularity(np.log(g), gn), _regularity(np.log(gd), gn))
    out = []
    reg_t, reg_d = _regularity(xt, noise), _regularity(xd, noise)
    dim = "time" if reg_t >= reg_d else "distance"
    base = fit + levels - PART_COST
    out.append(Part("set", reps, base + max(reg_t, reg_d) + rec, dim))
    ran = sum(mo.over(a.end, b.start)[0] for a, b in itertools.pairwise(reps))
    running = ran >= sum(t for t, _ in gaps) / 2  # recoveries run, not stood
    lad = max(_mirror(xt, noise), _mirror(xd, noise))
    if running and lad > -math.inf and len({round(float(d), -1) for d in dur}) >= 3:
        ldim = "time" if _mirror(xt, noise) >= _mirror(xd, noise) else "distance"
        out.append(Part("ladder", reps, base + lad + rec - LOG_RANGE, ldim))
    if running and len(reps) >= MIN_FARTLEK and dur.max() <= MAX_SURGE_S:
        out.append(Part("fartlek", reps, fit + levels - FARTLEK_COST, "time"))
    return out


def _extra(rep: Stretch, main: list[Part], mo: Moments) -> float:
    """Score of a lone effort next to the sets: near their pace, clear of the running
    around it (one rep length either side), and at least half a rep long."""
    if not main:
        return -math.inf
    v_main = float(np.median([r.speed for p in main for r in p.reps]))
    n_main = float(np.median([r.moving_s for p in main for r in p.reps]))
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
    return 0.5 * math.log1p(n_in / BIN_S * z * z) + level - LOG_RANGE / 2


def _recovery(a: Stretch, b: Stretch) -> bool:
    """Whether the gap between two reps can be a recovery (not a run of its own)."""
    longer = max(a.end - a.start, b.end - b.start)
    return b.start - a.end <= max(MAX_RECOVERY_FACTOR * longer, MIN_MAX_RECOVERY_S)


def parse_reps(stretches: list[Stretch], cd: np.ndarray, mo: Moments) -> Parse:
    """Best split of the candidate reps into consecutive parts (dynamic programming)."""
    k = len(stretches)
    # where a part starts and ends among the candidates: its look-elsewhere cost
    where = 2 * math.log(k + 1)
    best = [0.0] * (k + 1)  # best[i]: best score of stretches[:i]
    back: list[tuple[int, Part | None]] = [(0, None)] * (k + 1)
    for j in range(1, k + 1):
        best[j], back[j] = best[j - 1], (j - 1, None)  # stretch j-1 is no rep
        for i in range(j - 2, max(-1, j - 1 - MAX_PART), -1):
            if not _recovery(stretches[i], stretches[i + 1]):
                break  # a set break: parts do not reach across it
            for part in score_group(stretches[i:j], cd, mo):
                s = best[i] + part.score - where
                if s > best[j]:
                    best[j], back[j] = s, (i, part)
    parts: list[Part] = []
    j = k
    while j > 0:
        i, chosen = back[j]
        if chosen is not None:
            chosen.score -= where
            parts.append(chosen)
        j = i
    parts.reverse()
    parse = Parse(parts, best[k])
    return _with_extras(parse, stretches, cd, mo)


def _with_extras(parse: Parse, stretches: list[Stretch], cd: np.ndarray, mo: Moments) -> Parse:
    """Add up to MAX_EXTRAS lone efforts that score on their own."""
    used = {(r.start, r.end) for r in parse.reps}
    main = [p for p in parse.parts if p.kind == "set"]
    scored = sorted(
        ((_extra(s, main, mo), s) for s in stretches if (s.start, s.end) not in used),
        key=lambda x: -x[0],
    )
    where = math.log(len(stretches) + 1)  # which of the candidates it is
    extras = [Part("extra", [s], sc - where) for sc, s in scored[:MAX_EXTRAS] if sc > where]
    if not extras:
        return parse
    parts = sorted(parse.parts + extras, key=lambda p: p.reps[0].start)
    return Parse(parts, parse.score + sum(e.score for e in extras))
