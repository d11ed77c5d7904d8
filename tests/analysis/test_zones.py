"""Time in zone: elapsed-time weighting, gaps, segments, missing markers, models."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from terskel.analysis.zones import (
    OLYMPIATOPPEN,
    PACE,
    custom_model,
    edge_rule,
    zone_edges,
    zone_time,
)

T0 = dt.datetime(2026, 3, 1, 8, 0, 0)


def _samples(rows: list[tuple[float, float | None, float | None]]) -> pl.LazyFrame:
    """(seconds from T0, heart rate, speed) rows of activity 1."""
    return pl.DataFrame(
        {
            "activity_id": [1] * len(rows),
            "t": [T0 + dt.timedelta(seconds=s) for s, _, _ in rows],
            "distance_m": [None] * len(rows),
            "speed_mps": [v for _, _, v in rows],
            "heart_rate": [h for _, h, _ in rows],
            "power_w": [None] * len(rows),
        },
        schema_overrides={"distance_m": pl.Float64, "power_w": pl.Float64},
    ).lazy()


NO_SEGMENTS = pl.DataFrame(
    schema={"activity_id": pl.Int64, "seg_index": pl.Int32, "start_utc": pl.Datetime("ms"),
            "end_utc": pl.Datetime("ms")}
).lazy()  # fmt: skip


def _whole(frame: pl.DataFrame, model: str) -> pl.DataFrame:
    return frame.filter(pl.col("seg_index").is_null() & (pl.col("model") == model)).select(
        "zone", "seconds"
    )


def test_time_is_weighted_by_real_gaps_and_pauses_are_capped() -> None:
    # smart recording: 1 s, then 4 s gaps, then a 10-minute pause, then 1 s again
    rows = [(0, 120.0, None), (1, 120.0, None), (5, 150.0, None), (9, 150.0, None),
            (13, 150.0, None), (613, 180.0, None), (614, 180.0, None)]  # fmt: skip
    markers = pl.DataFrame({"activity_id": [1], "max_hr": [200.0]}).lazy()
    out = zone_time(_samples(rows), NO_SEGMENTS, markers, [OLYMPIATOPPEN]).collect()
    # 120 bpm = 60 % (I1): 1 s + 4 s; 150 = 75 % (I2): 4 + 4 s + the pause, which counts
    # the median interval (4 s), not 600 s; 180 = 90 % (I4): 1 s + the last sample (4 s)
    expected = pl.DataFrame({"zone": ["I1", "I2", "I4"], "seconds": [5.0, 12.0, 5.0]})
    assert_frame_equal(_whole(out, "olympiatoppen"), expected)


def test_per_segment_rows_join_samples_to_segments_by_time() -> None:
    rows = [(s, 120.0 if s < 10 else 175.0, None) for s in range(20)]
    segments = pl.DataFrame(
        {
            "activity_id": [1, 1],
            "seg_index": pl.Series([0, 1], dtype=pl.Int32),
            "start_utc": [T0, T0 + dt.timedelta(seconds=10)],
            "end_utc": [T0 + dt.timedelta(seconds=10), T0 + dt.timedelta(seconds=20)],
        }
    ).lazy()
    markers = pl.DataFrame({"activity_id": [1], "max_hr": [200.0]}).lazy()
    out = zone_time(_samples(rows), segments, markers, [OLYMPIATOPPEN]).collect()
    per_seg = out.filter(pl.col("model") == "olympiatoppen").select("seg_index", "zone", "seconds")
    expected = pl.DataFrame(
        {"seg_index": [None, None, 0, 1], "zone": ["I1", "I4", "I1", "I4"],
         "seconds": [10.0, 10.0, 10.0, 10.0]},
        schema_overrides={"seg_index": pl.Int32},
    )  # fmt: skip
    assert_frame_equal(per_seg, expected)


def test_a_missing_marker_gives_no_rows_never_a_default() -> None:
    rows = [(s, 150.0, 3.0) for s in range(10)]
    markers = pl.DataFrame(
        {"activity_id": [1], "max_hr": [None]},
        schema={"activity_id": pl.Int64, "max_hr": pl.Float64},
    ).lazy()
    out = zone_time(_samples(rows), NO_SEGMENTS, markers, [OLYMPIATOPPEN, PACE]).collect()
    assert out.is_empty()


def test_pace_zones_and_the_threshold_band() -> None:
    # threshold speed 4 m/s: 3 m/s = 75 % (P1), 4 m/s = 100 % (P4), 4.5 = 112 % (P5)
    rows = [(s, None, 3.0 if s < 5 else 4.0 if s < 8 else 4.5) for s in range(10)]
    markers = pl.DataFrame(
        {"activity_id": [1], "threshold_speed_mps": [4.0], "speed_lo": [3.6], "speed_hi": [4.16]}
    ).lazy()
    out = zone_time(_samples(rows), NO_SEGMENTS, markers, [PACE]).collect()
    assert_frame_equal(
        _whole(out, "pace"), pl.DataFrame({"zone": ["P1", "P4", "P5"], "seconds": [5.0, 3.0, 2.0]})
    )
    band = pl.DataFrame({"zone": ["above", "below", "in"], "seconds": [2.0, 5.0, 3.0]})
    assert_frame_equal(_whole(out, "band"), band)


def test_a_custom_model_cuts_at_fractions_of_its_marker() -> None:
    mine = custom_model("mine", "lt2_hr", [0.9, 1.0], ["easy", "steady", "hard"])
    assert zone_edges(mine, {"lt2_hr": 170.0}) == [153.0, 170.0]
    assert zone_edges(mine, {"max_hr": 190.0}) is None
    rows = [(s, 150.0 if s < 3 else 160.0 if s < 7 else 175.0, None) for s in range(10)]
    markers = pl.DataFrame({"activity_id": [1], "lt2_hr": [170.0]}).lazy()
    out = zone_time(_samples(rows), NO_SEGMENTS, markers, [mine]).collect()
    expected = pl.DataFrame({"zone": ["easy", "hard", "steady"], "seconds": [3.0, 3.0, 4.0]})
    assert_frame_equal(_whole(out, "mine"), expected)


def _hr_rows(*rates: float) -> list[tuple[float, float | None, float | None]]:
    """One second at each heart rate, then a last sample that repeats the last rate."""
    return [(float(s), hr, None) for s, hr in enumerate((*rates, rates[-1]))]


def test_the_i3_i4_cut_is_at_least_the_band_top_and_the_cuts_above_scale_alike() -> None:
    # max HR 180 (best 60 s, capped): 87 % = 156.6, 92 % = 165.6; LT2 band 156.4-170
    markers = {"max_hr": 180.0, "hr_lo": 156.4, "hr_hi": 170.0}
    edges = zone_edges(OLYMPIATOPPEN, markers)  # type: ignore[arg-type]
    scale = 170.0 / (0.87 * 180)
    assert edges == pytest.approx([129.6, 147.6, 170.0, 0.92 * 180 * scale])
    # 165 and 170 (the band's top, which the band calls in) are I3, 171 is I4, 180 is I5
    rows = _hr_rows(150.0, 165.0, 170.0, 171.0, 180.0)
    frame = pl.DataFrame({"activity_id": [1]} | {k: [v] for k, v in markers.items()}).lazy()
    out = zone_time(_samples(rows), NO_SEGMENTS, frame, [OLYMPIATOPPEN]).collect()
    expected = pl.DataFrame({"zone": ["I3", "I4", "I5"], "seconds": [3.0, 1.0, 2.0]})
    assert_frame_equal(_whole(out, "olympiatoppen"), expected)
    band = _whole(out, "band").filter(pl.col("zone") == "above")["seconds"].sum()
    assert band == 3.0  # I4-I5 time is the band's "above" time, no more
    assert "band wins" in edge_rule(OLYMPIATOPPEN, markers)  # type: ignore[arg-type]


def test_a_band_under_the_i4_edge_or_no_band_moves_nothing() -> None:
    plain = [0.72 * 200, 0.82 * 200, 0.87 * 200, 0.92 * 200]
    for band in ({"hr_hi": 165.0}, {}):
        markers = {"max_hr": 200.0} | band
        assert zone_edges(OLYMPIATOPPEN, markers) == pytest.approx(plain)  # type: ignore[arg-type]
        frame = pl.DataFrame({"activity_id": [1]} | {k: [v] for k, v in markers.items()}).lazy()
        out = zone_time(_samples(_hr_rows(173.0, 175.0)), NO_SEGMENTS, frame, [OLYMPIATOPPEN])
        got = _whole(out.collect(), "olympiatoppen")
        assert_frame_equal(got, pl.DataFrame({"zone": ["I3", "I4"], "seconds": [1.0, 2.0]}))
    assert "not above it" in edge_rule(OLYMPIATOPPEN, {"max_hr": 200.0, "hr_hi": 165.0})
