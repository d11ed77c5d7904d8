"""Effort on hills: a piece's speed weighted by the energy cost of its grade.

A fartlek's surges are run on the flat between easy running over hills; on
speed alone a fast descent looks like a surge and a slow climb (a trail
runner's hike, a road runner easing up a hill) like a recovery, so the hills
make up reps and recoveries and the surges sink among them. The grade-adjusted
speed of a piece (the Minetti et al. 2002 cost, as `zones` uses for pace
bands) is the second reading of its effort: a piece is fast only when its
speed and its grade-adjusted speed are both above a threshold, slow only when
both are below (see `structure._stretches`); where they disagree (a descent
run fast, a climb run slow) the hill, not the runner, set the speed, and the
piece is evidence of neither. The grade is the altitude change over the
piece's own distance (at least `MIN_GRADE_M`), so a barometer's steps and a
GPS altitude's jitter average out over a piece's length; without altitude the
effort is the speed.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # segmentation builds the pieces and calls in here
    from terskel.analysis.intervals.segmentation import Piece

# pace lost per unit of grade up, and gained per unit of grade down (Daniels: a 1 %
# climb costs about 3.3 % of the speed, a descent gives back a little over half)
UPHILL_PER_GRADE = 3.3
DOWNHILL_PER_GRADE = 1.8
# beyond this grade the rule no longer holds (walking, braking): it is capped
MAX_GRADE = 0.2
# a piece shorter than this (m) has no grade worth measuring: its effort is its speed
MIN_GRADE_M = 40.0


def cost_factor(i: float) -> float:
    """Speed on grade i over the speed at the same effort on the flat: each 1 % up
    costs UPHILL_PER_GRADE, each 1 % down gives DOWNHILL_PER_GRADE (runners' rule of
    thumb, flatter than the energy cost near 0: it is the pace that is held)."""
    x = min(max(i, -MAX_GRADE), MAX_GRADE)
    return 1.0 + (UPHILL_PER_GRADE if x > 0 else DOWNHILL_PER_GRADE) * x


def with_effort(pieces: list[Piece], alt: np.ndarray) -> list[Piece]:
    """Pieces with `effort`, their grade-adjusted speed (altitude per grid row, NaN
    where unknown; pieces without altitude at both ends keep their speed)."""
    known = np.isfinite(alt)
    if not known.any():
        return pieces
    rows = np.flatnonzero(known)
    a = np.interp(np.arange(alt.size), rows, alt[rows])
    out = []
    for p in pieces:
        if p.stop or p.dist < MIN_GRADE_M or not (known[p.start] or known[p.end - 1]):
            out.append(p)
            continue
        rise = float(a[p.end - 1] - a[p.start])
        out.append(dataclasses.replace(p, effort=p.speed * cost_factor(rise / p.dist)))
    return out
