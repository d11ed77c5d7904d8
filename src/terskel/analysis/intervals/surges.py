"""Short surges inside a speed piece, witnessed by the cadence.

The change-point search on speed (see `segmentation`) pays `PENALTY` sigma^2 log n
per change; a 15-25 s surge on a trail (speed noise ~0.3 m/s per 5 s bin, the
surge ~0.6-0.9 m/s above the running around it, 3-5 bins) saves less than its two
changes cost, so it stays inside a longer piece (peterhighgrove's fartleks). Its
cadence steps too (+8-10 spm over a bin noise of ~1-2 spm). So the search runs
again on both streams, each in its own bin noise, at the same cost per change,
and of its changes only those are added that bound a surge inside one of the
speed's pieces: faster than the piece on both sides by at least the bins' speed
noise, at a higher cadence than both. Every other boundary is the speed's; runs
with little cadence are as they were.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from terskel.analysis.intervals.cadence import MIN_KNOWN
from terskel.analysis.intervals.changepoints import binned

# an optional stream
Cols = np.ndarray | None


def steps(mcad: np.ndarray | None, bin_s: int) -> np.ndarray | None:
    """Cadence per moving second, its gaps filled, where enough is recorded to witness
    the efforts (`cadence.MIN_KNOWN`); else None."""
    if mcad is None or mcad.size < 4 * bin_s:
        return None
    known = np.isfinite(mcad) & (mcad > 0)
    if known.mean() < MIN_KNOWN:
        return None
    idx = np.arange(mcad.size)
    out: np.ndarray = np.interp(idx, idx[known], mcad[known])
    return out


def surges(
    bins: np.ndarray, cad: np.ndarray, found: list[int], joint: list[int], sigma: float
) -> list[int]:
    """The speed's changes `found`, plus the surges inside its pieces that the joint
    (speed, cadence) changes `joint` bound: a stretch between two of them inside one
    piece, faster than the piece on both sides by at least the bins' noise `sigma` and
    at a higher cadence than both (a surge steps up and down, in both streams). Bin
    indices of one block."""
    edges = sorted({0, *found, bins.size})
    out = set(found)
    for a, b in itertools.pairwise(edges):
        inside = [c for c in joint if a + 1 < c < b - 1]
        for p, q in itertools.pairwise(inside):
            fast = bins[p:q].mean() - max(bins[a:p].mean(), bins[q:b].mean())
            steps = cad[p:q].mean() - max(cad[a:p].mean(), cad[q:b].mean())
            if fast >= sigma and steps > 0:
                out |= {p, q}
    return sorted(out)


def cadence_bins(
    mcad: np.ndarray | None, starts: list[int], bin_s: int
) -> tuple[list[np.ndarray | None], float] | None:
    """Per block of moving seconds (`changepoints.binned`) the cadence's bins and
    their noise, where the cadence can witness (`steps`); else None."""
    cad = steps(mcad, bin_s)
    return None if cad is None else binned(cad, starts, bin_s)


def with_surges(
    bins: np.ndarray,
    sigma: float,
    cad_bins: tuple[list[np.ndarray | None], float] | None,
    k: int,
    found: list[int],
    search: Callable[[np.ndarray, float], list[int]],
) -> list[int]:
    """`found` (the speed's changes in block `k`'s bins) with the surges the cadence
    witnesses: `search` runs on both streams, each in its own bin noise, so one
    change costs what a speed change does."""
    if cad_bins is None:
        return found
    per_block, cad_sigma = cad_bins
    cb = per_block[k]
    if cb is None or bins.size < 4:
        return found
    joint = search(np.column_stack([bins / sigma, cb / cad_sigma]), 1.0)
    return surges(bins, cb, found, joint, sigma)
