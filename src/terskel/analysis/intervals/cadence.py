"""Rep boundaries where GPS speed misleads: moved to the cadence step.

On a track (or under trees, between buildings) GPS speed dips for 10-40 s
while the runner holds the rep: a bend cut short, a lost fix that distance
catches up on later. The change-point search (see `segmentation`) reads the
dip as the start of the recovery, so a rep ends too early or starts too late.
Cadence comes from the wrist or a foot pod, not from GPS: it steps sharply
where a rep starts and ends (a 4:00/km rep at 174 spm, the jog at 160).

So an effort boundary between a fast and a slow piece moves, through the slow
side, to the nearest cadence step, only when all of these hold:

- the two pieces' cadences differ in the direction of their speeds, by at least
  `MIN_STEP_SPM` and `STEP_Z` times the run's own cadence noise (the step is
  real, not the quantisation of a watch that records whole strides);
- the stretch moved is a real speed dip: slower than the fast piece by more
  than its noise, and back at the fast level between its slowest bin and the
  cadence step (GPS lost speed there and caught up; a runner who slows stays
  slow, and a clean speed change is left as it is);
- its cadence is the fast piece's (at most `SAME_FRAC` of the contrast below it),
  and cadence steps at its far end by at least `STEP_FRAC` of the contrast, over
  `STEP_WINDOW_S` seconds either side and over `SHARP_S` (a step, not a drift or
  smart recording's interpolated ramp);
- it is at least `MIN_MOVE_S` long (shorter is within the speed's own resolution),
  at most `MAX_MOVE_S` and at most half of the slow piece (a dip lasts a bend or
  two; the recovery stays a recovery).

Cadence never makes a boundary, nor moves one next to a stop: it only says
where a boundary the speed found really is. Runs without cadence are as they
were.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from terskel.analysis.intervals.effort import Piece

# a cadence step below this (steps/min) is no step: watches record whole strides (2 spm)
MIN_STEP_SPM = 4.0
# ... and the pieces' cadence contrast is at least this many times the run's cadence noise
STEP_Z = 4.0
# seconds of cadence either side of a step that measure it
STEP_WINDOW_S = 10
# the step at the moved boundary is at least this share of the pieces' contrast
STEP_FRAC = 0.5
# ... and sharp: as large between the SHARP_S seconds either side (a rep ends in a
# stride or two; a ramp over 10-20 s is smart recording's interpolation or a fade)
SHARP_S = 3
# a move shorter than this (s) is within the speed's own resolution (two bins) and
# the lag of a wrist's smoothed cadence: the speed's boundary stands
MIN_MOVE_S = 10
# the moved stretch's cadence is at most this share of the contrast below the fast piece's
SAME_FRAC = 0.3
# a GPS dip lasts a bend or two (s); longer, the speed is right and the cadence drifts
MAX_MOVE_S = 60
# seconds per bin of the noise estimates: segmentation.BIN_S, whose speed noise `sigma`
# is per bin (segmentation imports this module, so the value is repeated)
BIN_S = 5
# seconds with cadence the moved stretch needs (share), else cadence cannot tell
MIN_KNOWN = 0.8


def cadence_noise(cad: np.ndarray, moving: np.ndarray) -> float:
    """Noise (spm) of the cadence averaged over BIN_S seconds: MAD of lag-2
    differences over the moving seconds (robust to the steps themselves)."""
    c = cad[moving & np.isfinite(cad)]
    n = c.size // BIN_S
    if n < 4:
        return math.inf
    bins = c[: n * BIN_S].reshape(-1, BIN_S).mean(axis=1)
    d = np.abs(bins[2:] - bins[:-2])
    return float(np.median(d)) / 0.6745 / math.sqrt(2.0)


@dataclass(frozen=True)
class Drops:
    """Prefix sums of a run's known cadence, padded by `PAD` rows either side (a
    window past an end holds nothing): its steps over any rows, from slices."""

    c: np.ndarray
    k: np.ndarray

    PAD = STEP_WINDOW_S

    @classmethod
    def of(cls, cad: np.ndarray) -> Drops:
        """The prefix sums of `cad` (NaN: not recorded)."""
        ok = np.isfinite(cad)
        c = np.concatenate([[0.0], np.cumsum(np.where(ok, cad, 0.0))])
        k = np.concatenate([[0.0], np.cumsum(ok)])
        p = cls.PAD
        return cls(
            np.concatenate([np.zeros(p), c, np.full(p, c[-1])]),
            np.concatenate([np.zeros(p), k, np.full(p, k[-1])]),
        )

    def rows(self, t: np.ndarray, w: int) -> np.ndarray:
        """`over` at any rows t (an array of any shape)."""
        c, k, p = self.c, self.k, self.PAD
        with np.errstate(invalid="ignore", divide="ignore"):
            d = (c[t + p] - c[t + p - w]) / (k[t + p] - k[t + p - w]) - (
                c[t + p + w] - c[t + p]
            ) / (k[t + p + w] - k[t + p])
        out: np.ndarray = np.where(np.isfinite(d), d, -np.inf)
        return out

    def over(self, a: int, b: int, w: int) -> np.ndarray:
        """Per row t of a..b, the mean cadence over the w (<= PAD) seconds before t
        minus that over the w seconds from t (known values only; -inf where a side
        has none)."""
        c, k, p = self.c, self.k, self.PAD
        mid, lo, hi = slice(a + p, b + p), slice(a + p - w, b + p - w), slice(a + p + w, b + p + w)
        with np.errstate(invalid="ignore", divide="ignore"):
            d = (c[mid] - c[lo]) / (k[mid] - k[lo]) - (c[hi] - c[mid]) / (k[hi] - k[mid])
        out: np.ndarray = np.where(np.isfinite(d), d, -np.inf)
        return out


def _level(cad: np.ndarray, known: np.ndarray, p: Piece) -> float:
    """Median cadence of a piece's moving seconds (`known`: moving with cadence; NaN:
    none). np.median's value, from one partition (it is called per boundary)."""
    c = cad[p.start : p.end][known[p.start : p.end]]
    n = c.size
    if n == 0:
        return math.nan
    h = n // 2
    part = np.partition(c, [h - 1, h] if n % 2 == 0 else [h])
    return float(part[h] if n % 2 else (part[h - 1] + part[h]) / 2)


@dataclass(frozen=True)
class _Boundary:
    """One effort boundary looked at: the fast and slow piece, the seconds it may
    move to (nearest first) and the cadence steps there (fast side minus slow)."""

    fast: Piece
    slow: Piece
    ts: np.ndarray
    sign: float  # cadence falls from the fast side to the slow one: a drop ahead, a rise behind
    wide: np.ndarray  # over STEP_WINDOW_S seconds either side

    @classmethod
    def of(cls, fast: Piece, slow: Piece, drops: Drops) -> _Boundary:
        """The boundary between adjacent `fast` and `slow`."""
        forward = fast.end == slow.start  # the rep's end moves later, else its start earlier
        b = fast.end if forward else fast.start
        r = min(MAX_MOVE_S, int(slow.elapsed_s) // 2)
        if forward:
            return cls(
                fast,
                slow,
                np.arange(b + 1, b + r + 1),
                1.0,
                drops.over(b + 1, b + r + 1, STEP_WINDOW_S),
            )
        return cls(
            fast,
            slow,
            np.arange(b - 1, b - r - 1, -1),
            -1.0,
            -drops.over(b - r, b, STEP_WINDOW_S)[::-1],
        )

    @property
    def at(self) -> int:
        """Grid row of the boundary now."""
        return self.fast.end if self.fast.end == self.slow.start else self.fast.start


def _target(
    v: np.ndarray,
    cad: np.ndarray,
    moving: np.ndarray,
    bd: _Boundary,
    drops: Drops,
    cf: float,
    contrast: float,
    sigma: float,
) -> int | None:
    """Grid row the boundary moves to, or None (`cf`: the fast piece's cadence,
    `contrast`: its excess over the slow piece's)."""
    first = np.flatnonzero(bd.wide >= STEP_FRAC * contrast)
    if first.size == 0:
        return None
    # the first (nearest) step that is one, at its sharpest second
    i = int(first[0]) + int(np.argmax(bd.wide[first[0] : first[0] + STEP_WINDOW_S + 1]))
    if i + 1 < MIN_MOVE_S:
        return None
    t = int(bd.ts[i])
    if bd.sign * float(drops.over(t, t + 1, SHARP_S)[0]) < STEP_FRAC * contrast:
        return None
    ok = _moves(v, cad, moving, bd.at, t, cf, contrast, bd.fast.speed, sigma)
    return t if ok else None


def _moves(
    v: np.ndarray,
    cad: np.ndarray,
    moving: np.ndarray,
    near: int,
    far: int,
    cf: float,
    contrast: float,
    v_fast: float,
    sigma: float,
) -> bool:
    """Whether the stretch from the boundary `near` to the cadence step `far` (either
    order) is a GPS dip run at the fast piece's cadence."""
    a, b = min(near, far), max(near, far)
    m = moving[a:b]
    if m.sum() < (b - a) / 2:
        return False
    c = cad[a:b][m]
    if np.isfinite(c).mean() < MIN_KNOWN:
        return False
    if float(np.nanmedian(c)) < cf - SAME_FRAC * contrast:  # as fast, or faster
        return False
    # a dip, not a slowing: below the fast level, and back at it (a bin's mean within a
    # bin's noise `sigma`) between the slowest bin and the step: GPS lost speed, the
    # runner did not
    x = v[a:b][m]
    if v_fast - float(x.mean()) <= 2.0 * sigma * math.sqrt(BIN_S / x.size):
        return False
    k = np.ones(BIN_S) / BIN_S
    bins = np.convolve(x if far > near else x[::-1], k, mode="valid")
    if bins.size == 0:
        return False
    return float(bins[int(np.argmin(bins)) :].max()) >= v_fast - sigma


def _remade(p: Piece, start: int, end: int, v: np.ndarray, moving: np.ndarray) -> Piece:
    """Piece p over grid rows start..end, its metrics recomputed (effort reset)."""
    m = moving[start:end]
    n = float(m.sum())
    d = float(v[start:end][m].sum())
    return dataclasses.replace(
        p,
        start=start,
        end=end,
        speed=d / max(n, 1.0),
        moving_s=n,
        dist=d,
        stop_s=float(end - start) - n,
        effort=None,
    )


def snap(
    pieces: list[Piece], v: np.ndarray, moving: np.ndarray, cad: np.ndarray, sigma: float
) -> list[Piece]:
    """Pieces with the boundaries a GPS dip misplaced moved to the cadence step
    (module docstring); `cad` per grid row (NaN where not recorded)."""
    if not np.isfinite(cad).any() or len(pieces) < 2:
        return pieces
    noise = cadence_noise(cad, moving)
    if not math.isfinite(noise):
        return pieces
    need = max(MIN_STEP_SPM, STEP_Z * noise)
    known = moving & np.isfinite(cad)
    drops = Drops.of(cad)
    todo = _worth_a_look(pieces, cad, known, drops, need)
    if not todo:
        return pieces
    levels: dict[tuple[int, int], float] = {}

    def level(p: Piece) -> float:
        if (p.start, p.end) not in levels:
            levels[p.start, p.end] = _level(cad, known, p)
        return levels[p.start, p.end]

    out = list(pieces)
    moved = False
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        # a move at the boundary before remade piece i: its test is taken again
        if not (i in todo or (moved and _worth_a_look([a, b], cad, known, drops, need))):
            continue
        moved = False
        fast, slow = (a, b) if a.speed > b.speed else (b, a)
        bd = _Boundary.of(fast, slow, drops)
        if bd.ts.size == 0 or not (bd.wide >= STEP_FRAC * need).any():
            continue
        cf = level(bd.fast)
        contrast = cf - level(bd.slow)
        if not contrast >= need:
            continue
        t = _target(v, cad, moving, bd, drops, cf, contrast, sigma)
        if t is None:
            continue
        out[i], out[i + 1] = _remade(a, a.start, t, v, moving), _remade(b, t, b.end, v, moving)
        moved = True
    return out


def _worth_a_look(
    pieces: list[Piece], cad: np.ndarray, known: np.ndarray, drops: Drops, need: float
) -> set[int]:
    """Boundaries (index of the piece before) that may move, all at once: between two
    efforts of different speed whose mean cadences differ the right way by half the
    contrast that counts (a few spikes move a mean, not by half a step), with a step
    of that contrast, wide and sharp, MIN_MOVE_S or more into the slow piece (what
    `_target` asks of the step with the pieces' own contrast, at least `need`)."""
    sums = np.concatenate([[0.0], np.cumsum(np.where(known, cad, 0.0))])
    counts = np.concatenate([[0], np.cumsum(known)])
    lo = np.array([p.start for p in pieces])
    hi = np.array([p.end for p in pieces])
    v = np.array([p.speed for p in pieces])
    stop = np.array([p.stop for p in pieces])
    n = counts[hi] - counts[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        m = (sums[hi] - sums[lo]) / n
    dv, dm = v[:-1] - v[1:], m[:-1] - m[1:]
    ok = ~stop[:-1] & ~stop[1:] & (dv != 0) & (np.sign(dv) * dm >= need / 2)
    i = np.flatnonzero(ok)
    if i.size == 0:
        return set()
    # the slow piece and the seconds into it (forward: the rep ends at i's end)
    forward = dv[i] > 0
    slow_len = np.where(forward, hi[i + 1] - lo[i + 1], hi[i] - lo[i])
    reach = np.minimum(MAX_MOVE_S, slow_len // 2)
    k = np.arange(MIN_MOVE_S, MAX_MOVE_S + 1)
    sign = np.where(forward, 1, -1)[:, None]
    rows = np.clip(hi[i][:, None] + sign * k[None, :], 0, cad.size - 1)
    thr = STEP_FRAC * need
    # the wide step first, the sharp one only where the wide one is
    step = (sign * drops.rows(rows, STEP_WINDOW_S) >= thr) & (k[None, :] <= reach[:, None])
    r, c = np.nonzero(step)
    sharp = sign[r, 0] * drops.rows(rows[r, c], SHARP_S) >= thr
    return set(i[np.unique(r[sharp])].tolist())
