"""Effort on hills: a piece's speed adjusted for its grade.

A fartlek's surges are run on the flat between easy running over hills; on
speed alone a descent run fast looks like a surge, joins the runner's next
surge or makes one of its own, and the surges sink among the hills. The
grade-adjusted speed of a piece (the pace the runner would hold on the flat
at that effort: runners' rule of thumb, see `cost_factor`) is a second reading
of its effort: a piece is a fast candidate only when its speed is above a
threshold and its grade-adjusted speed is not clearly below it (see
`structure._stretches`), so the hill, not the runner, made a fast descent.
The rule is deliberately one-sided: a slow climb still counts as slow running
(a hill rep's walk back up, a trail runner's hike between runs both separate
efforts as they did). The grade is the altitude change over the piece's own
distance (at least `MIN_GRADE_M`), so a barometer's steps and a GPS
altitude's jitter average out over the piece; without altitude the effort
is the speed. Contrasts (`parts._contrast`) keep reading the speed over
ground: the grade decides which pieces are candidates, not how much they
stand out.

Where the hills change the efforts themselves (hill reps: run up, jogged
down, the speed hardly changes at the top), the pieces are cut where the
grade-adjusted speed of each second changes (`per_second`; the grade over
GRADE_HALF_S either side), not the speed, and the candidates are read on it
both ways (a hill rep's slow steep end is still the rep): only where the grade
moves the efforts by more than the speed's noise and the altitude is good
enough to read it (see `segmentation.graded`).
The pieces themselves live here (segmentation builds them and calls in).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

# pace lost per unit of grade up, and gained per unit of grade down (the runners' rule
# of thumb: a 1 % climb costs about 3.3 % of the speed, a descent gives back a little
# over half of it; the energy cost (Minetti) falls faster near 0, but a runner holding
# an even effort does not speed up downhill as much as it says)
UPHILL_PER_GRADE = 3.3
DOWNHILL_PER_GRADE = 1.8
# beyond this grade the rule no longer holds (walking, braking): it is capped
MAX_GRADE = 0.2
# a piece shorter than this (m) has no grade worth measuring: its effort is its speed
MIN_GRADE_M = 40.0


@dataclass(frozen=True)
class Piece:
    """A stretch of one activity's grid: one effort level, or a stop.

    start/end are grid rows (end exclusive); an effort may contain short
    stops (`stop_s`), which do not split it.
    """

    start: int
    end: int
    speed: float  # m/s over the moving seconds
    moving_s: float
    dist: float
    stop: bool
    stop_s: float = 0.0
    effort: float | None = None  # grade-adjusted speed (`with_effort`); None: speed

    @property
    def elapsed_s(self) -> float:
        return float(self.end - self.start)

    @property
    def level(self) -> float:
        """The effort's speed: grade-adjusted where a grade is known, else over ground."""
        return self.speed if self.effort is None else self.effort


def cost_factor(i: float) -> float:
    """The speed on the flat of the effort that runs 1 m/s on grade i (see `cost_factors`)."""
    return float(cost_factors(np.asarray(i, dtype=float)))


def cost_factors(i: np.ndarray) -> np.ndarray:
    """`cost_factor` of each grade: 1 plus UPHILL_PER_GRADE per unit of climb, minus
    DOWNHILL_PER_GRADE per unit of descent (grades clipped to MAX_GRADE)."""
    x = np.clip(i, -MAX_GRADE, MAX_GRADE)
    out: np.ndarray = 1.0 + np.where(x > 0, UPHILL_PER_GRADE, DOWNHILL_PER_GRADE) * x
    return out


def moves_effort(pieces: list[Piece], sigma: float) -> bool:
    """Whether the grade moves the efforts' speeds (time-weighted RMS of `level - speed`)
    by more than `sigma`, the noise of a bin's speed."""
    graded = [p for p in pieces if p.effort is not None and p.moving_s > 0]
    if not graded:
        return False
    w = np.array([p.moving_s for p in graded])
    d = np.array([p.level - p.speed for p in graded])
    return float((w * d * d).sum() / w.sum()) > sigma * sigma


# seconds either side of a second over which its grade is measured (at least
# MIN_GRADE_M of distance: a walk's few metres say nothing of the grade)
GRADE_HALF_S = 10


def per_second(v: np.ndarray, alt: np.ndarray) -> np.ndarray | None:
    """Grade-adjusted speed of each second of `v` (consecutive moving seconds; `alt`
    their altitude, NaN where not recorded), the grade over GRADE_HALF_S either
    side; None without altitude."""
    rows = np.flatnonzero(np.isfinite(alt))
    if rows.size < 2:
        return None
    i = np.arange(v.size)
    a = np.interp(i, rows, alt[rows])
    c = np.concatenate([[0.0], np.cumsum(v)])
    lo, hi = np.clip(i - GRADE_HALF_S, 0, v.size - 1), np.clip(i + GRADE_HALF_S, 0, v.size - 1)
    grade = (a[hi] - a[lo]) / np.maximum(c[hi + 1] - c[lo], MIN_GRADE_M)
    out: np.ndarray = v * cost_factors(grade)
    return out


def with_effort(pieces: list[Piece], alt: np.ndarray) -> list[Piece]:
    """Pieces with `effort`, their grade-adjusted speed (altitude per grid row, NaN
    where not recorded: read at a piece's ends from the recorded rows around them;
    stops and pieces shorter than MIN_GRADE_M keep effort None: their speed)."""
    rows = np.flatnonzero(np.isfinite(alt))
    if rows.size == 0:
        return pieces
    ends = np.array([(p.start, p.end - 1) for p in pieces], dtype=float)
    a = np.interp(ends, rows, alt[rows])
    out = []
    for p, (a0, a1) in zip(pieces, a.tolist(), strict=True):
        if p.stop or p.dist < MIN_GRADE_M:
            out.append(p)
        else:
            out.append(dataclasses.replace(p, effort=p.speed * cost_factor((a1 - a0) / p.dist)))
    return out
