"""Thresholds between effort levels: where the grammar splits fast from slow.

`segmentation.thresholds` gives the midpoints between neighbouring effort levels
that are furthest apart in noise units. With many pieces (reps eased at a
corner, walks and jogs in one recovery) neighbouring levels crowd, and the
widest single gap can sit among the fastest strides or the slowest walks while
the split between reps and recoveries is spread over a few close levels. So
the split that best separates the run's moving time into two groups (largest
time-weighted between-group variance, Otsu's criterion) is tried too; the
grammar's score still decides which reading wins.
"""

from __future__ import annotations

import numpy as np

from terskel.analysis.intervals.segmentation import BIN_S, Piece, thresholds


def time_split(pieces: list[Piece]) -> float | None:
    """The speed that splits the efforts' moving time into the two most separated
    groups (time-weighted between-group variance), or None with fewer than two levels."""
    ps = [p for p in pieces if not p.stop and p.moving_s >= BIN_S]
    if len(ps) < 2:
        return None
    v = np.array([p.speed for p in ps])
    w = np.array([p.moving_s for p in ps])
    order = np.argsort(v)
    v, w = v[order], w[order]
    cw, cs = np.cumsum(w)[:-1], np.cumsum(w * v)[:-1]
    tw, ts = float(w.sum()), float((w * v).sum())
    w1 = tw - cw
    between = cw * w1 * (cs / cw - (ts - cs) / w1) ** 2
    distinct = v[1:] > v[:-1]
    if not distinct.any():
        return None
    k = int(np.argmax(np.where(distinct, between, -1.0)))
    return float((v[k] + v[k + 1]) / 2)


def split_speeds(pieces: list[Piece], sigma: float) -> list[float]:
    """The thresholds to read a run at: `segmentation.thresholds`, then the time split."""
    out = thresholds(pieces, sigma)
    t = time_split(pieces)
    if t is not None and all(abs(t - x) > 1e-9 for x in out):
        out.append(t)
    return out
