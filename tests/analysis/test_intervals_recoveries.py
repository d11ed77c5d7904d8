"""How a part's recoveries are read: run or stood (real files, see `parts.group_parts`),
and in which dimension (`dimension.options`)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from terskel.analysis.intervals import detect_segments, session_labels
from terskel.analysis.intervals.labels import part_text

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


def test_recovery_spread_is_no_evidence_where_the_pace_cannot_tell() -> None:
    # roznet 834323, 4x600m/2min: three jogs of 109-125 s and 313-323 m. The
    # distances repeat better (MAD 1 % against 5 %), but the shortest jog ran the
    # fastest: three jogs leave the slope of log duration on log speed one degree
    # of freedom, no test. With no evidence in the spreads, the prior and the
    # rounding decide: 2 min (4 % off) over 300 m (7 % off)
    s, m = [141.0, 150, 145, 150], [611.0, 650, 618, 622]
    rs, rm = [109.0, 115, 125], [313.0, 320, 323]
    assert part_text("set", s, m, rs, rm, False, False) == "4x600m/2min"
    # 200 m jogs whose durations follow the jogging pace (fnardmann 7992200168:
    # slope -1.55, se 0.21) are held in distance, though their times scatter too
    s, m = [91.0, 95, 95, 85, 91, 86], [417.0, 416, 416, 403, 407, 401]
    rs, rm = [64.0, 74, 69, 82, 80], [179.0, 194, 184, 198, 193]
    assert part_text("set", s, m, rs, rm, False, False) == "6x400m/200m"
    # with no pace evidence (fnardmann 10024712104: slope -0.79, se 0.41) a
    # recovery that is round in metres (183 m) and not in time (77 s) is metres
    s, m = [84.0, 88, 89, 99, 96, 94], [408.0, 416, 410, 425, 425, 421]
    rs, rm = [73.0, 77, 80, 73, 85], [182.0, 185, 190, 169, 180]
    assert part_text("set", s, m, rs, rm, False, False) == "6x400m/200m"
