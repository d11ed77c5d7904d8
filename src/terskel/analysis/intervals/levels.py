"""Thresholds between the pieces' effort levels: where the grammar's candidate reps are cut.

Each threshold splits the efforts into fast stretches and the rest
(`structure._stretches`). They are the midpoints between adjacent distinct
levels, the widest gaps (in the bins' noise) first, and the time-weighted
divide of the levels (`time_split`): the widest gaps alone miss the divide
between reps and recoveries where short pieces (strides, a GPS wobble, a rep's
lead-in, each a level of its own) fill the space between them.
"""

from __future__ import annotations

import itertools

import numpy as np

from terskel.analysis.intervals.effort import Piece
from terskel.analysis.intervals.segmentation import BIN_S

# thresholds tried per run (between the most separated effort levels)
MAX_THRESHOLDS = 4


def thresholds(pieces: list[Piece], sigma: float, graded: bool = False) -> list[float]:
    """Midpoints between effort levels (their speeds; grade-adjusted where the run is
    `graded`), the most separated (in noise units) first; then the levels'
    time-weighted divide (`time_split`) where it is none of these."""
    efforts = [p for p in pieces if not p.stop and p.moving_s >= BIN_S]
    x = np.array([round(p.level if graded else p.speed, 2) for p in efforts])
    levels = sorted(set(x.tolist()))
    if len(levels) < 2:
        return []
    mids = [((a + b) / 2, (b - a) / sigma) for a, b in itertools.pairwise(levels)]
    mids.sort(key=lambda m: -m[1])
    out = [m for m, _ in mids[:MAX_THRESHOLDS]]
    split = time_split(x, np.array([p.moving_s for p in efforts]))
    return out if split is None or split in out else [*out, split]


def time_split(levels: np.ndarray, weights: np.ndarray) -> float | None:
    """The midpoint between two adjacent distinct levels that splits them, weighted by
    the time run at each, into the two classes farthest apart (the largest
    between-class variance, Otsu's rule): the run's main fast/slow divide, which
    short pieces cannot fragment (seconds at a level count, not distinct levels).
    None with fewer than two levels."""
    order = np.argsort(levels, kind="stable")
    x, w = levels[order], weights[order]
    cw, cx = np.cumsum(w)[:-1], np.cumsum(w * x)[:-1]
    tw, tx = float(w.sum()), float((w * x).sum())
    ok = (np.diff(x) > 0) & (cw > 0) & (cw < tw)
    if not ok.any():
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        between = cw * (tw - cw) * (cx / cw - (tx - cx) / (tw - cw)) ** 2
    k = int(np.argmax(np.where(ok, between, -1.0)))
    return float((x[k] + x[k + 1]) / 2)
