"""Markers in force on a date: config with effective dates, Garmin, estimates, the band."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from terskel.analysis.athlete import band, estimates, fit_lactate, resolve

D = dt.date
CONFIG = [
    (None, {"max_hr": 190.0, "lt2_hr": 168.0}),
    (D(2026, 9, 1), {"lt2_hr": 172.0}),
]
GARMIN = pl.DataFrame(
    {
        "source": ["garmin", "garmin"],
        "marker": ["resting_hr", "resting_hr"],
        "value": [50.0, 46.0],
        "effective_from": [D(2026, 1, 10), D(2026, 10, 1)],
    }
)


def test_the_config_entry_in_force_on_the_date_wins() -> None:
    before = resolve(D(2026, 8, 31), CONFIG, GARMIN, {})
    after = resolve(D(2026, 9, 1), CONFIG, GARMIN, {})
    assert before["lt2_hr"].value == 168.0 and after["lt2_hr"].value == 172.0
    assert after["lt2_hr"].since == D(2026, 9, 1) and after["max_hr"].value == 190.0
    assert {m.source for m in after.values()} >= {"config"}


def test_garmin_fills_gaps_and_estimates_come_last_and_say_so() -> None:
    found = resolve(D(2026, 11, 1), CONFIG, GARMIN, {"threshold_speed_mps": 4.2, "max_hr": 180.0})
    assert found["resting_hr"].value == 46.0 and found["resting_hr"].source == "garmin"
    assert found["max_hr"].source == "config"  # config beats the estimate
    assert found["threshold_speed_mps"].source == "estimate" and found["threshold_speed_mps"].note
    early = resolve(D(2025, 12, 1), [], GARMIN, {})
    assert early["resting_hr"].value == 50.0 and "earliest" in early["resting_hr"].note


def test_nothing_known_means_nothing_assumed() -> None:
    found = resolve(D(2026, 5, 1), [], pl.DataFrame(), {})
    assert found == {}
    assert band(found, None, None)["hr_lo"] is None


def test_estimates_need_enough_runs_and_use_the_12_months_up_to_the_day() -> None:
    days = [D(2025, 1, 1) + dt.timedelta(days=30 * i) for i in range(24)]
    peaks = pl.DataFrame(
        {
            "local_date": days,
            "hr_60s": [170.0 + (5.0 if i == 3 else 0.0) for i in range(24)],
            "hr_20min": [150.0] * 24,
            "speed_20min": [4.0] * 24,
            "speed_60min": [3.7] * 24,
            "power_20min": [None] * 24,
        },
        schema_overrides={"power_20min": pl.Float64},
    )
    est = estimates([D(2025, 6, 1), D(2026, 12, 1)], peaks)
    assert est[D(2025, 6, 1)]["max_hr"] == 175.0  # first year: the peak of month 3 counts
    assert est[D(2026, 12, 1)]["max_hr"] == pytest.approx(172.41, abs=0.01)  # 150 / 0.87
    assert est[D(2026, 12, 1)]["threshold_speed_mps"] == pytest.approx(3.8)  # 0.95 x 4.0
    assert "threshold_power_w" not in est[D(2026, 12, 1)]
    assert estimates([D(2025, 2, 1)], peaks.head(3))[D(2025, 2, 1)] == {}  # 3 runs: too few


def test_the_lactate_fit_defines_the_band_and_counts_its_readings() -> None:
    hr = [140.0, 150.0, 155.0, 160.0, 165.0, 170.0]
    mmol = [1.2, 1.8, 2.2, 2.7, 3.3, 4.6]
    fit = fit_lactate(hr, mmol)
    assert fit is not None and fit.readings == 6
    assert 150 < fit.lo < 156 and 160 < fit.hi < 166
    found = resolve(D(2026, 5, 1), CONFIG, pl.DataFrame(), {})
    assert band(found, fit, None)["hr_band_basis"] == "lactate"
    assert fit_lactate(hr[:4], mmol[:4]) is None  # too few readings
