"""A lone extra effort next to the sets: scored by its own contrast, placed by the
boundaries it adds (`structure._extra`, `structure._place`)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from terskel.analysis.intervals.parts import TAU_SPEED, Part, Stretch
from terskel.analysis.intervals.segmentation import Moments
from terskel.analysis.intervals.structure import Parse, _extra, _place


def _effort(easy: float, fast: float) -> tuple[Stretch, Moments]:
    """A 250 s effort at `fast` m/s between 400 s of easy running either side."""
    rng = np.random.default_rng(1)
    v = np.concatenate([np.full(400, easy), np.full(250, fast), np.full(400, easy)])
    v = v + rng.normal(0.0, 0.25, v.size)
    mo = Moments.of(v, np.ones(v.size, dtype=bool))
    seg = v[400:650]
    return Stretch(400, 650, 250.0, float(seg.sum()), float(seg.mean())), mo


def test_extra_is_not_scored_by_its_likeness_to_the_sets_pace() -> None:
    # a fast kilometre after 400s runs 14 % below their pace (fnardmann 10062564986),
    # a closing 200 m above it: either is a hard effort, and the sets' pace does not
    # make it more or less of one
    rep, mo = _effort(2.8, 4.05)
    at_pace, slower_than_sets, faster_than_sets = (
        _extra(rep, v, 90.0, mo, 0.0) for v in (rep.speed, 4.7, 3.3)
    )
    assert at_pace > 0
    assert slower_than_sets == pytest.approx(at_pace)
    assert faster_than_sets == pytest.approx(at_pace)


def test_extra_is_a_hard_effort() -> None:
    # more than 3 TAU_SPEED slower than the sets' reps it is no hard effort (a jog
    # between walks, a warm-up lap), as a rep that slow is no rep of a set
    rep, mo = _effort(1.4, 2.8)
    assert _extra(rep, 2.8 * math.exp(3 * TAU_SPEED - 0.01), 90.0, mo, 0.0) > 0
    assert _extra(rep, 2.8 * math.exp(3 * TAU_SPEED + 0.05), 90.0, mo, 0.0) == -math.inf


def test_extra_stands_out_from_the_running_around_it() -> None:
    # within 3 TAU_SPEED of its surroundings a stretch is the same pace, however long
    # (a faster lap of a cool-down), not an effort
    same, distinct = _effort(2.65, 2.87), _effort(2.65, 3.6)
    assert _extra(same[0], 3.0, 180.0, same[1], 0.0) == -math.inf
    assert _extra(distinct[0], 3.0, 180.0, distinct[1], 0.0) > 0


def _candidates(starts: list[int]) -> list[Stretch]:
    return [Stretch(a, a + 80, 80.0, 400.0, 5.0) for a in starts]


def test_extra_place_is_the_boundaries_it_adds() -> None:
    # a set of the first three candidates, then three skipped ones (the set's end
    # before a skip is paid already): an effort that follows the set takes over that
    # boundary, one at the list's end pays no end; one in between would add two, but
    # naming which candidate it is costs one (the cheaper code)
    st = _candidates([0, 240, 480, 1500, 2500, 3500])
    parse = Parse([Part("set", st[:3], 10.0)], 10.0)
    inside = {0, 1, 2}
    where = math.log(len(st) + 1)
    assert _place(3, inside, st, parse) == pytest.approx(where)  # its end: a skip follows
    assert _place(4, inside, st, parse) == pytest.approx(where)
    assert _place(5, inside, st, parse) == pytest.approx(where)  # its start only
    alone = _candidates([0, 240, 480, 1500])
    assert _place(3, inside, alone, Parse([Part("set", alone[:3], 10.0)], 10.0)) == 0.0


def test_extra_place_next_to_a_set_costs_its_side_at_most() -> None:
    # one more rep of the set's length after a recovery like theirs: log 2 (`_where`)
    st = _candidates([0, 240, 480, 720, 3000])
    parse = Parse([Part("set", st[:3], 10.0)], 10.0)
    assert _place(3, {0, 1, 2}, st, parse) == pytest.approx(math.log(2.0))
