"""Real files: how a part's recoveries are read (run or stood), see `parts.group_parts`."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from terskel.analysis.intervals import detect_segments, session_labels

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _real(name: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    from terskel.sources.fit import decode

    if not DATA.exists():
        pytest.skip("../shared/data is absent")
    fit = decode((DATA / name).read_bytes())
    run = next(s for s in fit.sessions if s.sport == "running")
    aid = pl.lit(0, pl.Int64)
    return run.samples.with_columns(activity_id=aid), run.laps.with_columns(activity_id=aid)


def test_real_fartlek_with_a_few_long_stops_is_still_run() -> None:
    # fartlek 15 x 15-105s: 4 of its 14 recoveries are long stops (160-330 s, moving
    # 5-109 s of them), the others run; by elapsed time the stops outweigh the
    # running, so adding the first surge (its recovery a 305 s stop) made the whole
    # fartlek "stood" and no fartlek at all: it was left out. Most recoveries are run
    samples, laps = _real("fit/running-more/XiangLi00__12849458322_ACTIVITY.fit")
    seg = detect_segments(samples.lazy(), laps.lazy(), use_laps=False).collect()
    assert session_labels(seg.lazy()).collect()["label"][0].startswith("fartlek")
    t0 = samples["t"].min()
    first = seg.filter(pl.col("kind") == "work")["start_utc"].min()
    assert (first - t0).total_seconds() < 100  # type: ignore[operator]
