"""Markers in force on a date: config with effective dates, Garmin, estimates, the band."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from terskel.analysis.athlete import (
    StoredMarkers,
    band,
    estimates,
    estimates_with_evidence,
    fit_lactate,
    resolve,
)

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


DEVICE = pl.DataFrame(
    {
        "source": ["device"] * 3,
        "marker": ["max_hr", "lt2_hr", "max_hr"],
        "value": [197.0, 172.0, 190.0],
        "effective_from": [D(2026, 5, 1), D(2026, 5, 1), D(2026, 5, 9)],
        "note": ["set on the watch"] * 3,
    }
)


def test_stored_markers_resolve_in_date_order_whatever_the_row_order() -> None:
    shuffled = GARMIN.reverse()  # the index sorts by date itself, as the frame path did
    index = StoredMarkers.of(shuffled)
    for day, value in ((D(2026, 9, 30), 50.0), (D(2026, 10, 1), 46.0), (D(2027, 1, 1), 46.0)):
        assert resolve(day, [], index, {})["resting_hr"].value == value
        assert resolve(day, [], shuffled, {})["resting_hr"].value == value


def test_the_watch_s_settings_count_on_their_own_date_only() -> None:
    found = resolve(D(2026, 5, 1), [], DEVICE, {"max_hr": 180.0, "lt2_hr": 165.0})
    assert found["max_hr"].value == 197.0 and found["max_hr"].source == "device"
    assert found["lt2_hr"].value == 172.0 and found["lt2_hr"].source == "device"
    assert found["lt1_hr"].value == pytest.approx(0.88 * 172.0)
    later = resolve(D(2026, 5, 2), [], DEVICE, {"max_hr": 180.0, "lt2_hr": 165.0})
    assert later["max_hr"].source == "estimate" and later["lt2_hr"].source == "estimate"
    # config beats the watch
    assert resolve(D(2026, 5, 1), CONFIG, DEVICE, {})["max_hr"].source == "config"


def test_a_watch_threshold_the_runner_never_reached_is_not_used() -> None:
    # best 60 s HR in the window 170: a threshold HR of 172 contradicts the data
    found = resolve(D(2026, 5, 1), [], DEVICE, {"max_hr": 170.0})
    assert "lt2_hr" not in found
    # no estimate: the day's best 60 s HR is the evidence
    assert "lt2_hr" not in resolve(D(2026, 5, 1), [], DEVICE, {}, day_best_hr=168.0)
    assert resolve(D(2026, 5, 1), [], DEVICE, {}, day_best_hr=178.0)["lt2_hr"].value == 172.0


def test_a_watch_s_max_hr_never_places_the_band() -> None:
    only_max = resolve(D(2026, 5, 9), [], DEVICE, {})
    assert only_max["max_hr"].source == "device"
    assert band(only_max, None, None)["hr_band_basis"] is None
    with_estimate = resolve(D(2026, 5, 9), [], DEVICE, {"lt2_hr": 165.0})
    assert band(with_estimate, None, None)["hr_band_basis"] == "lt2_hr"


def test_nothing_known_means_nothing_assumed() -> None:
    found = resolve(D(2026, 5, 1), [], pl.DataFrame(), {})
    assert found == {}
    assert band(found, None, None)["hr_lo"] is None


def _peaks(days: list[dt.date], hr60: list[float], hr20: list[float]) -> pl.DataFrame:
    n = len(days)
    return pl.DataFrame(
        {
            "activity_id": list(range(1, n + 1)),
            "local_date": days,
            "hr_60s": hr60,
            "hr_20min": hr20,
            "speed_20min": [4.0] * n,
            "speed_60min": [3.7] * n,
            "power_20min": [None] * n,
        },
        schema_overrides={"power_20min": pl.Float64},
    )


def test_estimates_use_the_90_days_up_to_the_day_and_say_where_they_come_from() -> None:
    days = [D(2025, 1, 1) + dt.timedelta(days=7 * i) for i in range(40)]
    hr60 = [185.0 + (5.0 if i == 3 else 0.0) for i in range(40)]
    peaks = _peaks(days, hr60, [160.0] * 40)
    est = estimates_with_evidence([D(2025, 3, 1), D(2025, 10, 1)], peaks)
    early, late = est[D(2025, 3, 1)], est[D(2025, 10, 1)]
    assert early["max_hr"].value == 190.0 and early["max_hr"].activity_id == 4
    assert early["max_hr"].date == D(2025, 1, 22) and early["max_hr"].effort == "60 s"
    assert late["max_hr"].value == 185.0  # the peak of week 4 is out of the window
    assert late["max_hr"].window[0] >= D(2025, 10, 1) - dt.timedelta(days=90)
    assert late["max_hr"].runs == 13 and not late["max_hr"].looked_ahead
    assert late["threshold_speed_mps"].value == pytest.approx(3.8)  # 0.95 x 4.0
    assert late["threshold_speed_mps"].effort == "20 min"
    assert "threshold_power_w" not in late
    assert estimates([D(2025, 2, 1)], peaks.head(3))[D(2025, 2, 1)] == {}  # 3 runs: too few


def test_the_first_days_look_ahead_with_low_confidence() -> None:
    days = [D(2025, 1, 1) + dt.timedelta(days=3 * i) for i in range(10)]
    est = estimates_with_evidence([D(2025, 1, 1)], _peaks(days, [180.0] * 10, [160.0] * 10))
    first = est[D(2025, 1, 1)]["lt2_hr"]
    assert first.looked_ahead and first.runs == 10 and first.confidence == pytest.approx(0.33)
    assert "look-ahead" in first.window_text()


def test_older_files_outside_the_window_do_not_move_a_day_s_markers() -> None:
    days = [D(2026, 3, 1) + dt.timedelta(days=2 * i) for i in range(30)]
    recent = _peaks(days, [180.0] * 30, [165.0] * 30)
    old = _peaks([D(2025, 6, 1) + dt.timedelta(days=i) for i in range(10)], [199.0] * 10,
                 [181.0] * 10).with_columns(pl.col("activity_id") + 100)  # fmt: skip
    day = D(2026, 4, 20)
    alone = estimates([day], recent)[day]
    assert estimates([day], pl.concat([old, recent]))[day] == alone


def test_one_stray_file_weeks_back_does_not_end_a_history_s_look_ahead() -> None:
    # issue 13: another runner's file 7 weeks before a history's first run made the
    # 90 days "established" (its first run over 4 weeks back), so the markers of the
    # history's first weeks lost their look-ahead and moved (COROS 16 km Sunday runs)
    days = [D(2026, 3, 9) + dt.timedelta(days=2 * i) for i in range(40)]
    hr20 = [165.0 if i < 30 else 174.0 for i in range(40)]  # the hard efforts come later
    history = _peaks(days, [180.0] * 40, hr20)
    stray = _peaks([D(2026, 1, 29)], [170.0], [150.0]).with_columns(pl.col("activity_id") + 100)
    day = D(2026, 3, 29)
    alone = estimates_with_evidence([day], history)[day]["lt2_hr"]
    with_stray = estimates_with_evidence([day], pl.concat([stray, history]))[day]["lt2_hr"]
    assert alone.looked_ahead and alone.value == 174.0
    assert with_stray.looked_ahead and with_stray.value == 174.0


def test_one_outlier_effort_does_not_set_the_threshold_markers() -> None:
    # issue 13: one 15 km run at 174 bpm (the others' best 20 min 166-170) set LT2 for
    # 90 days, so the last weeks alone (LT2 169.8) typed runs differently
    days = [D(2026, 3, 1) + dt.timedelta(days=2 * i) for i in range(20)]
    hr20 = [160.0 + (i % 5) for i in range(20)]  # best runs 164, 164, 164, ...
    hr20[7] = 174.0  # one outlier
    peaks = _peaks(days, [180.0] * 20, hr20).with_columns(
        speed_20min=pl.Series([4.0] * 7 + [4.4] + [4.0] * 12)
    )
    day = D(2026, 4, 15)
    est = estimates_with_evidence([day], peaks)[day]
    assert est["lt2_hr"].value == 164.0 and est["lt2_hr"].of_best == 3
    assert est["lt2_hr"].evidence().endswith("(the middle of the window's 3 best)")
    assert est["threshold_speed_mps"].value == pytest.approx(0.95 * 4.0)
    without = estimates([day], peaks.filter(pl.col("activity_id") != 8))[day]
    assert without["lt2_hr"] == 164.0  # the outlier moves nothing
    assert without["threshold_speed_mps"] == pytest.approx(0.95 * 4.0)
    assert est["max_hr"].value == 180.0  # max HR stays the one best 60 s


def test_a_max_hr_above_what_the_data_shows_is_capped_and_said() -> None:
    days = [D(2026, 3, 1) + dt.timedelta(days=2 * i) for i in range(10)]
    peaks = _peaks(days, [182.0] * 10, [174.0] * 10)  # LT2 / 0.87 = 200
    est = estimates_with_evidence([D(2026, 4, 1)], peaks)[D(2026, 4, 1)]
    assert est["max_hr"].value == 182.0 and "capped" in est["max_hr"].note
    found = resolve(D(2026, 4, 1), [], pl.DataFrame(), est)
    assert found["max_hr"].value == 182.0 and "capped" in found["max_hr"].note
    # ten equal efforts: the middle of the 3 best is the second
    assert found["lt2_hr"].evidence.startswith("best 20 min of activity 2 on 2026-03-03")
    assert found["lt2_hr"].confidence == pytest.approx(0.67)


def test_a_lactate_fit_defines_the_band_only_when_it_passes_the_quality_bar() -> None:
    hr = [140.0, 150.0, 155.0, 160.0, 165.0, 170.0]
    mmol = [1.2, 1.8, 2.2, 2.7, 3.3, 4.6]
    fit = fit_lactate(hr, mmol, [1, 1, 1, 2, 2, 2], "hr")
    assert fit is not None and fit.readings == 6 and fit.sessions == 2
    assert 150 < fit.lo < 156 and 160 < fit.hi < 166
    assert fit.usable and fit.r2 == pytest.approx(0.887, abs=0.001) and 0 < fit.rmse < 0.5
    found = resolve(D(2026, 5, 1), CONFIG, pl.DataFrame(), {})
    assert band(found, fit, None)["hr_band_basis"] == "lactate"
    assert fit_lactate(hr[:4], mmol[:4]) is None  # too few readings


def test_one_session_or_a_narrow_band_is_a_hint_not_a_band() -> None:
    found = resolve(D(2026, 5, 1), CONFIG, pl.DataFrame(), {})
    # issue 13: five readings of one session gave a 4-bpm band applied everywhere
    one = fit_lactate([163.0, 165.0, 166.0, 168.0, 170.0], [1.9, 2.3, 2.6, 3.0, 3.5], [7] * 5)
    assert one is not None and not one.usable and "1 session(s)" in one.why
    assert band(found, one, None)["hr_band_basis"] == "lt2_hr"
    narrow = fit_lactate([165.0, 166.0, 167.0, 168.0, 169.0], [1.8, 2.2, 2.6, 3.0, 3.4],
                         [1, 1, 2, 2, 2])  # fmt: skip
    assert narrow is not None and not narrow.usable and "wide" in narrow.why
    flat = fit_lactate(
        [150.0, 152.0, 154.0, 156.0, 158.0], [1.1, 1.2, 1.3, 1.2, 1.4], [1, 1, 2, 2, 2]
    )
    assert flat is not None and not flat.usable and "span" in flat.why
