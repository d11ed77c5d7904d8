"""Real files: the thresholds between effort levels that cut the candidate reps (`levels`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from terskel.analysis.intervals import detect_segments, session_labels
from terskel.analysis.intervals.levels import time_split

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _resampled(name: str, every: tuple[int, ...]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One file as smart recording keeps it: the first sample of each `every` s bucket,
    one activity per step (bench/degrade.py)."""
    from terskel.sources.fit import decode

    if not DATA.exists():
        pytest.skip("../shared/data is absent")
    run = next(s for s in decode((DATA / name).read_bytes()).sessions if s.sport == "running")
    samples, laps = [], []
    for aid, step in enumerate(every):
        bucket = pl.col("t").dt.epoch("ms") // (step * 1000)
        kept = run.samples.sort("t").filter(bucket.is_first_distinct())
        samples.append(kept.with_columns(activity_id=pl.lit(aid, pl.Int64)))
        laps.append(run.laps.with_columns(activity_id=pl.lit(aid, pl.Int64)))
    return pl.concat(samples), pl.concat(laps)


def _labels(samples: pl.DataFrame, laps: pl.DataFrame) -> list[str]:
    seg = detect_segments(samples.lazy(), laps.lazy(), use_laps=False).collect()
    return session_labels(seg.lazy()).collect().sort("activity_id")["label"].to_list()


def test_time_split_is_the_divide_of_the_seconds_not_of_the_levels() -> None:
    # reps at 4.0-4.2 m/s and jogs at 2.0-2.2 for minutes; short pieces at 2.6-3.6
    # fill the gap between them, so its widest gap between distinct levels is
    # 4.2 -> 5.0 (a 10 s stride); the seconds split between the jogs and the reps
    levels = np.array([2.0, 2.1, 2.2, 2.6, 2.9, 3.2, 3.6, 4.0, 4.1, 4.2, 5.0])
    weights = np.array([300.0, 400, 300, 10, 15, 10, 10, 200, 250, 200, 10])
    split = time_split(levels, weights)
    assert split is not None and 2.2 < split < 4.0
    assert time_split(np.array([3.0, 3.0]), np.array([10.0, 20.0])) is None


def test_real_reps_among_short_pieces_at_3_and_5_s() -> None:
    # Bert501796 3x3min/10min at 3 s recording and XiangLi00 12069799515 (a ladder
    # and 5x800m with walks, strides in the warm-up) at 5 s: short pieces at levels
    # between the reps and the recoveries (strides, lead-ins) left no threshold
    # between them among the widest gaps: both read `continuous`
    bert, bert_laps = _resampled("fit/running-more/Bert501796__2025-03-18-12-30-15.fit", (3,))
    assert _labels(bert, bert_laps) == ["3x3min/10min"]
    xl, xl_laps = _resampled("fit/running-more/XiangLi00__12069799515_ACTIVITY.fit", (5,))
    assert "400-600-800-600-400m + 5x800m/200m" in _labels(xl, xl_laps)[0]
