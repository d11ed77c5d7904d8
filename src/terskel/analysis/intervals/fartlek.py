"""The fartlek reading's own evidence: step rate, one jog pace, and walks.

A fartlek's surges have no lengths to predict (see `parts`), so speed is
its only evidence, and on roads and trails speed also swings with the
terrain: a downhill is a fast stretch the runner never surged. A surge is
an effort, and an effort shows in the step rate too: the runner's cadence
rises in every surge (a downhill lengthens the stride far more than it
quickens it). Where cadence is recorded, the reps' cadence contrast over
their recoveries is a second channel of evidence, scored like the speed
contrast (`parts._contrast`); surges without a cadence rise are no fartlek.
Without cadence the reading keeps speed alone.

A fartlek alternates two efforts: its recoveries are jogs at one pace
(`recovery_levels`, its pace one more parameter); fast stretches between
walks, jogs and near-surge running are a run's own changes of pace.

Walking is no evidence of a surge (a hilly run walked up its climbs has
fast stretches between walks too): where a recovery is walked, the surges
must stand out from the run's own running outside them, as for recoveries
stood (see `parts.group_parts`).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl

from terskel.analysis.intervals.segmentation import AID, Moments

# a parameter described to within 6 % (`parts.PARAM_NATS`; parts imports this module)
PARAM_NATS = math.log(math.log(180.0) / 0.06)

# a recovery slower than this (m/s, its moving speed) is walked (`labels._WALK_MPS`)
WALK_MPS = 1.8
# a fartlek's jogs run at one pace within this relative spread (twice a rep's
# `parts.TAU_SPEED`: the terrain moves a jog more than a surge)
TAU_JOG = 0.16
# cadence must be recorded over this share of the moving seconds to count
MIN_CADENCE_SHARE = 0.8


def cadences(g: pl.DataFrame) -> dict[int, np.ndarray]:
    """Per activity of the grid (sorted by activity, ts): cadence (spm, NaN unknown)."""
    aid = g[AID].to_numpy()
    cad = g["cadence_spm"].cast(pl.Float64).fill_null(float("nan")).to_numpy()
    cut = np.flatnonzero(np.diff(aid) != 0) + 1
    return {
        int(aid[lo]): cad[lo:hi]
        for lo, hi in zip([0, *cut.tolist()], [*cut.tolist(), aid.size], strict=True)
    }


def cadence_moments(cad: np.ndarray | None, moving: np.ndarray) -> Moments | None:
    """Prefix sums of the moving seconds' cadence; None where it is not recorded
    (or zero: a watch without a pod writes 0) over most of them."""
    if cad is None or cad.size != moving.size:
        return None
    known = moving & np.isfinite(cad) & (cad > 0)
    if known.sum() < MIN_CADENCE_SHARE * max(int(moving.sum()), 1):
        return None
    return Moments.of(np.where(known, cad, 0.0), known)


def walked(mo: Moments, spans: list[tuple[int, int]]) -> bool:
    """Whether a recovery between the reps `spans` is walked (its moving speed)."""
    for (_, b), (a, _) in itertools.pairwise(spans):
        n, s, _ = mo.over(b, a)
        if n > 0 and s / n < WALK_MPS:
            return True
    return False


def recovery_levels(mo: Moments, spans: list[tuple[int, int]], vbase: float) -> float:
    """Nats saved by running the recoveries at one jog pace (log speed within
    TAU_JOG), against `vbase` per recovery: a fartlek alternates two efforts, a
    run whose fast stretches sit between walks, jogs and near-surge running does not."""
    lv = []
    for (_, b), (a, _) in itertools.pairwise(spans):
        n, s, _ = mo.over(b, a)
        if n > 0:
            lv.append(math.log(max(s / n, 0.1)))
    if len(lv) < 2:
        return 0.0
    x = np.asarray(lv)
    tau2 = TAU_JOG**2
    misfit = float(((x - x.mean()) ** 2).sum()) / (2 * tau2)
    saved = (x.size - 1) * vbase - misfit - 0.5 * x.size * math.log(2 * math.pi * tau2)
    return saved - PARAM_NATS  # the jog pace is one more parameter of the reading


def cadence_gain(cm: Moments | None, spans: list[tuple[int, int]]) -> float:
    """Nats the step rate adds to a fartlek of reps `spans` (grid rows, in order):
    0.5 log(1 + z^2) per rep, z the reps' cadence contrast over their recoveries
    in units of the seconds' pooled spread; -inf when the reps do not step faster;
    0 without cadence."""
    if cm is None:
        return 0.0
    rep = [0.0, 0.0, 0.0]
    gap = [0.0, 0.0, 0.0]
    for k, (a, b) in enumerate(spans):
        for q, x in enumerate(cm.over(a, b)):
            rep[q] += x
        if k + 1 < len(spans):
            for q, x in enumerate(cm.over(b, spans[k + 1][0])):
                gap[q] += x
    (nr, sr, ssr), (ng, sg, ssg) = rep, gap
    if nr < 1 or ng < 1:
        return 0.0
    if sr / nr <= sg / ng:
        return -math.inf
    within = ssr - sr * sr / nr + ssg - sg * sg / ng
    z = (sr / nr - sg / ng) / math.sqrt(max(within, 1e-6) / (nr + ng))
    return 0.5 * len(spans) * math.log1p(z * z)
