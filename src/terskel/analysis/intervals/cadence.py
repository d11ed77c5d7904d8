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
  and cadence steps at its far end by at least `STEP_FRAC` of the contrast
  (means over `STEP_WINDOW_S` either side), not a drift;
- it is at most `MAX_MOVE_S` long and at most half of the slow piece (a dip
  lasts a bend or two; the recovery stays a recovery).

Cadence never makes a boundary, nor moves one next to a stop: it only says
where a boundary the speed found really is. Runs without cadence are as they
were.
"""

from __future__ import annotations

import dataclasses
import math

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
# bins (s) of the cadence noise estimate, as the speed's (`segmentation.BIN_S`)
NOISE_BIN_S = 5
# seconds with cadence the moved stretch needs (share), else cadence cannot tell
MIN_KNOWN = 0.8


def cadence_noise(cad: np.ndarray, moving: np.ndarray) -> float:
    """Noise (spm) of the cadence averaged over NOISE_BIN_S seconds: MAD of lag-2
    differences over the moving seconds (robust to the steps themselves)."""
    c = cad[moving & np.isfinite(cad)]
    n = c.size // NOISE_BIN_S
    if n < 4:
        return math.inf
    bins = c[: n * NOISE_BIN_S].reshape(-1, NOISE_BIN_S).mean(axis=1)
    d = np.abs(bins[2:] - bins[:-2])
    return float(np.median(d)) / 0.6745 / math.sqrt(2.0)


def _mean(x: np.ndarray, a: int, b: int) -> float:
    """Mean of the known values of x[a:b] (NaN: none)."""
    s = x[max(a, 0) : max(b, 0)]
    s = s[np.isfinite(s)]
    return float(s.mean()) if s.size else math.nan


def _level(cad: np.ndarray, moving: np.ndarray, p: Piece) -> float:
    """Median cadence of a piece's moving seconds (NaN: none recorded)."""
    c = cad[p.start : p.end][moving[p.start : p.end]]
    c = c[np.isfinite(c)]
    return float(np.median(c)) if c.size else math.nan


def _target(
    v: np.ndarray, cad: np.ndarray, moving: np.ndarray, fast: Piece, slow: Piece, sigma: float
) -> int | None:
    """Grid row the boundary between `fast` and `slow` (adjacent) moves to, or None."""
    cf = _level(cad, moving, fast)
    contrast = cf - _level(cad, moving, slow)  # the fast piece runs at the higher cadence
    forward = fast.end == slow.start  # the rep's end moves later, else its start earlier
    b = fast.end if forward else fast.start
    reach = min(MAX_MOVE_S, int(slow.elapsed_s) // 2)
    for k in range(1, reach + 1):
        if _step(cad, b, k, forward) < STEP_FRAC * contrast:
            continue
        # the first (nearest) step that is one, at its sharpest second
        k = max(
            range(k, min(k + STEP_WINDOW_S, reach) + 1), key=lambda j: _step(cad, b, j, forward)
        )
        t = b + k if forward else b - k
        near, far = (b, t) if forward else (t, b)
        if k < MIN_MOVE_S or _step(cad, b, k, forward, SHARP_S) < STEP_FRAC * contrast:
            return None
        return t if _moves(v, cad, moving, near, far, cf, contrast, fast.speed, sigma) else None
    return None


def _step(cad: np.ndarray, b: int, k: int, forward: bool, w: int = STEP_WINDOW_S) -> float:
    """Cadence step (spm, fast side minus slow side) at k seconds from b, between the
    means over w seconds either side."""
    t = b + k if forward else b - k
    before, after = _mean(cad, t - w, t), _mean(cad, t, t + w)
    d = before - after if forward else after - before
    return d if math.isfinite(d) else -math.inf


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
    if v_fast - float(x.mean()) <= 2.0 * sigma * math.sqrt(NOISE_BIN_S / x.size):
        return False
    k = np.ones(NOISE_BIN_S) / NOISE_BIN_S
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
    out = list(pieces)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if a.stop or b.stop or a.speed == b.speed:
            continue
        fast, slow = (a, b) if a.speed > b.speed else (b, a)
        cf, cs = _level(cad, moving, fast), _level(cad, moving, slow)
        if not cf - cs >= max(MIN_STEP_SPM, STEP_Z * noise):
            continue
        t = _target(v, cad, moving, fast, slow, sigma)
        if t is None:
            continue
        out[i], out[i + 1] = _remade(a, a.start, t, v, moving), _remade(b, t, b.end, v, moving)
    return out
