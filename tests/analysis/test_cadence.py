"""Rep boundaries at GPS speed dips move to the cadence step (intervals/cadence.py)."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest

from terskel.analysis.intervals import cadence, detect_segments, segmentation, session_labels
from terskel.analysis.intervals.cadence import snap
from terskel.analysis.intervals.effort import Piece
from tests.analysis.test_intervals import _real

TRACK = "fit/running-more/roznet__track_cs_728599.fit"


def _pieces(v: np.ndarray, cuts: list[int]) -> list[Piece]:
    edges = [0, *cuts, v.size]
    return [
        Piece(a, b, float(v[a:b].mean()), float(b - a), float(v[a:b].sum()), False)
        for a, b in itertools.pairwise(edges)
    ]


def _rep_end(dip_back: bool, cadence_step: bool) -> tuple[list[Piece], np.ndarray, np.ndarray]:
    """Jog 200 s, rep 150 s, jog 200 s (1 s rows); the rep's last 40 s read by GPS as a
    20 s dip (back at rep speed for 20 s when `dip_back`), the speed's boundary at the
    dip (row 310); cadence steps 162 -> 174 -> 162 with the rep (at 350) when
    `cadence_step`, else at the dip."""
    rng = np.random.default_rng(1)
    v = np.r_[np.full(200, 2.9), np.full(110, 4.0), np.full(20, 3.0), np.full(20, 4.0)]
    v = np.r_[v, np.full(200, 2.9)]
    if not dip_back:
        v[330:350] = 3.0
    v = v + rng.normal(0.0, 0.2, v.size)
    end = 350 if cadence_step else 310
    cad = np.r_[np.full(200, 162.0), np.full(end - 200, 174.0), np.full(v.size - end, 162.0)]
    cad = cad + rng.integers(-1, 2, v.size)
    return _pieces(v, [200, 310]), v, cad


def test_dip_at_rep_end_moves_to_the_cadence_step() -> None:
    ps, v, cad = _rep_end(dip_back=True, cadence_step=True)
    out = snap(ps, v, np.ones(v.size, bool), cad, 0.15)
    assert [(p.start, p.end) for p in out] == [(0, 200), (200, 350), (350, v.size)]
    assert out[1].speed < ps[1].speed  # the dip's seconds now count in the rep
    assert out[2].dist + out[1].dist == pytest.approx(ps[2].dist + ps[1].dist)


def test_dip_at_rep_start_moves_to_the_cadence_step() -> None:
    # the same run backwards: the GPS dip opens the rep, whose start moves earlier
    _, v, cad = _rep_end(dip_back=True, cadence_step=True)
    v, cad = v[::-1].copy(), cad[::-1].copy()
    ps = _pieces(v, [v.size - 310, v.size - 200])
    out = snap(ps, v, np.ones(v.size, bool), cad, 0.15)
    assert [(p.start, p.end) for p in out] == [
        (0, v.size - 350),
        (v.size - 350, v.size - 200),
        (v.size - 200, v.size),
    ]


def test_bins_are_the_segmentations() -> None:
    assert cadence.BIN_S == segmentation.BIN_S


def test_no_move_without_the_cadence_step_or_the_return() -> None:
    moving = np.ones(550, bool)
    # cadence steps where the speed does: the boundary is right
    ps, v, cad = _rep_end(dip_back=True, cadence_step=False)
    assert snap(ps, v, moving, cad, 0.15) == ps
    # the speed stays low after the boundary: the runner slowed, GPS did not dip
    ps, v, cad = _rep_end(dip_back=False, cadence_step=True)
    assert snap(ps, v, moving, cad, 0.15) == ps
    # no cadence recorded: as they were
    ps, v, _ = _rep_end(dip_back=True, cadence_step=True)
    assert snap(ps, v, moving, np.full(v.size, np.nan), 0.15) == ps


def test_cadence_makes_no_boundary() -> None:
    # one even effort with a cadence step inside it: one piece stays one piece
    _, v, cad = _rep_end(dip_back=True, cadence_step=True)
    one = _pieces(v, [])
    assert snap(one, v, np.ones(v.size, bool), cad, 0.15) == one


def test_real_track_reps_end_at_the_lap_not_at_the_gps_dip() -> None:
    # roznet 728599: 3 x 600 m on a track (manual laps 1, 3, 5); GPS speed dips at
    # the end of reps 1 and 3 (the speed's boundaries 25 and 17 s early), cadence
    # steps 174 -> 160 where the runner stops
    samples, laps = _real([TRACK])
    seg = detect_segments(samples.lazy(), laps.lazy(), use_laps=False).collect()
    assert session_labels(seg.lazy()).collect()["label"].to_list() == ["3x600m/2min"]
    work = seg.filter(pl.col("kind") == "work")["end_utc"].to_list()
    marked = laps.sort("lap_index")["end_utc"].to_list()
    ends = [marked[i] for i in (1, 3, 5)]
    assert len(work) == 3
    assert all(abs((w - e).total_seconds()) <= 8 for w, e in zip(work, ends, strict=True))
