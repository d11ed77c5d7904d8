"""bench/degrade.py: the degradations the robustness bench applies, on a synthetic run."""

from __future__ import annotations

import datetime as dt
import sys

import numpy as np
import polars as pl
import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import degrade

START = dt.datetime(2026, 5, 1, 7, 0, 0)


@pytest.fixture(scope="module")
def run() -> pl.DataFrame:
    """Forty minutes at 1 s: 3.2 m/s with alternating 60 s at 4.2 m/s, speed noise 0.3."""
    n = 2400
    rng = np.random.default_rng(1)
    true = np.where((np.arange(n) // 60) % 2 == 1, 4.2, 3.2)
    speed = true + rng.normal(0.0, 0.3, n)
    return pl.DataFrame(
        {
            "t": [START + dt.timedelta(seconds=i) for i in range(n)],
            "distance_m": np.cumsum(true),
            "speed_mps": speed,
            "heart_rate": np.full(n, 150.0),
            "cadence_spm": np.full(n, 170.0),
            "altitude_m": np.full(n, 10.0),
            "power_w": np.full(n, 250.0),
            "lat": np.full(n, 59.9),
            "lon": np.full(n, 10.7),
        }
    ).with_columns(pl.col("t").cast(pl.Datetime("ms")))


def _gaps(frame: pl.DataFrame) -> np.ndarray:
    return np.diff(frame["t"].dt.epoch("ms").to_numpy()) / 1000.0


def test_resample_keeps_one_sample_every_n_seconds_and_the_distance(run: pl.DataFrame) -> None:
    out = degrade.resample(run, 5)
    assert out.height == 480
    assert set(_gaps(out)) == {5.0}
    assert out["distance_m"][0] == run["distance_m"][0]
    assert out["distance_m"].to_list() == run["distance_m"].gather_every(5).to_list()


def test_drop_hr_removes_only_heart_rate(run: pl.DataFrame) -> None:
    out = degrade.drop_hr(run)
    assert out["heart_rate"].null_count() == run.height
    assert out["speed_mps"].to_list() == run["speed_mps"].to_list()


def test_double_noise_doubles_the_residual_and_keeps_distance(run: pl.DataFrame) -> None:
    out = degrade.double_noise(run)
    true = np.where((np.arange(run.height) // 60) % 2 == 1, 4.2, 3.2)
    inside = (np.arange(run.height) % 60 > 10) & (np.arange(run.height) % 60 < 50)
    before = np.std((run["speed_mps"].to_numpy() - true)[inside])
    after = np.std((out["speed_mps"].to_numpy() - true)[inside])
    assert 1.8 < after / before < 2.2
    assert out["distance_m"].to_list() == run["distance_m"].to_list()
    assert out["speed_mps"].min() >= 0.0


def test_paused_stops_are_three_gaps_of_20_to_120_s(run: pl.DataFrame) -> None:
    out = degrade.insert_stops(run, standing=False, seed=3)
    gaps = _gaps(out)
    big = gaps[gaps > 1.0]
    assert out.height == run.height
    assert len(big) == 3
    assert all(21.0 <= g <= 121.0 for g in big)
    assert out["distance_m"].to_list() == run["distance_m"].to_list()


def test_standing_stops_record_zero_speed_without_gaps(run: pl.DataFrame) -> None:
    out = degrade.insert_stops(run, standing=True, seed=3)
    added = out.height - run.height
    assert 60 <= added <= 360
    assert _gaps(out).max() <= 1.0
    still = out.filter(pl.col("speed_mps") == 0.0)
    assert still.height == added
    assert still["distance_m"].n_unique() == 3
    assert out["heart_rate"].min() == pytest.approx(130.0)
    assert out["t"].is_sorted()


def test_no_laps_keeps_the_columns() -> None:
    laps = pl.DataFrame({"lap_index": [0, 1], "start_utc": [START, START]})
    out = degrade.no_laps(laps)
    assert out.height == 0
    assert out.columns == laps.columns


def test_crop_starts_on_the_first_rep_and_or_ends_on_the_last(run: pl.DataFrame) -> None:
    first, last = START + dt.timedelta(seconds=600), START + dt.timedelta(seconds=1800)
    warm = degrade.crop(run, first, last, warm_up=True, cool_down=False)
    assert warm["t"][0] == first - dt.timedelta(seconds=5)
    assert warm["t"][-1] == run["t"][-1]
    both = degrade.crop(run, first, last, warm_up=True, cool_down=True)
    assert (both["t"][0], both["t"][-1]) == (
        first - dt.timedelta(seconds=5),
        last + dt.timedelta(seconds=5),
    )
    assert both.height == 1211
