"""The weekly checks on hand-built weeks (values computed by hand) and on real histories."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from terskel.jobs.ingest import import_paths
from terskel.jobs.reporting import week_data
from terskel.models import Band, load_template
from terskel.reports.check_base import grade, grade_count
from terskel.reports.weekly import (
    WeekData,
    WeekReport,
    build_trend,
    build_week,
    default_week,
    parse_week,
    span,
)
from terskel.store import Store
from tests.conftest import shared_path
from tests.reports.helpers import WEEK, easy_zones, elite_week, run
from tests.reports.helpers import week_data as frames

ELITE = load_template("norwegian-elite")


def _checks(report: WeekReport) -> dict[str, tuple[float | None, str]]:
    return {
        c.key: (None if c.value is None else round(c.value, 1), c.status) for c in report.checks
    }


def test_a_textbook_elite_week_passes_every_check() -> None:
    data = frames(elite_week(-1) + elite_week())
    report = build_week(data, WEEK, ELITE, target_weekly_km=180)
    checks = _checks(report)
    # 14+12+18+15+14+12+18+16+14+11+10+17 km; 33+26+37+30 min in the band of 36+28+40+33
    assert checks["volume"] == (171.0, "ok")
    assert checks["threshold_sessions"] == (4, "ok")
    assert checks["double_days"] == (2, "ok")
    assert checks["threshold_dose"] == (126.0, "ok")
    assert checks["intensity_control"] == (round(126 / 137 * 100, 1), "ok")
    assert checks["rep_drift"] == (1.5, "ok")
    assert checks["easy"] == (95.0, "ok")
    assert checks["hard_cap"] == (0.0, "ok")  # the X element's 4 min are exempt
    assert checks["x_element"] == (1, "ok")
    assert checks["long_run"] == (18.0, "ok")  # Tuesday AM threshold run is the longest
    assert checks["flatness"] == (0.0, "ok")
    assert checks["polarity"][1] == "ok"  # the X elements' time above threshold
    assert report.counts()["ok"] == 12


def test_targets_scale_with_the_athletes_weekly_km() -> None:
    data = frames(elite_week())
    report = build_week(data, WEEK, ELITE, target_weekly_km=90)
    volume = next(c for c in report.checks if c.key == "volume")
    assert (volume.target_min, volume.target_max) == (75, 90)  # 150-180 halved
    assert volume.status == "off"  # 171 km is far above a 90 km target
    dose = next(c for c in report.checks if c.key == "threshold_dose")
    assert (dose.target_min, dose.target_max) == (60, 80) and dose.status == "off"


def test_without_a_target_volume_is_unknown_and_targets_follow_own_volume() -> None:
    report = build_week(frames(elite_week()), WEEK, ELITE)
    volume = next(c for c in report.checks if c.key == "volume")
    assert volume.status == "unknown" and "target_weekly_km" in volume.reason
    assert report.scale.source == "own" and report.scale.weekly_km == pytest.approx(171)


def test_a_split_outing_is_one_session_and_not_a_double_day() -> None:
    rows = [  # warm-up, block, cool-down saved as three files minutes apart (COROS style)
        run(1, 1, 19.0, 2, 11, "threshold", outing=1),
        run(2, 1, 19.2, 8, 35, "threshold", outing=1, work_min=24, thr_min=22),
        run(3, 1, 19.85, 1, 6, "threshold", outing=1),
        # two real threshold outings on Thursday, but only 1 h apart: not a double either
        run(4, 3, 7.0, 10, 45, "threshold", work_min=30, thr_min=28),
        run(5, 3, 8.75, 10, 45, "threshold", work_min=30, thr_min=28),
    ]
    report = build_week(frames(rows), WEEK, ELITE, target_weekly_km=40)
    checks = {c.key: c for c in report.checks}
    assert checks["threshold_sessions"].value == 3
    assert checks["double_days"].value == 0
    assert "under 3 h apart" in checks["double_days"].reason
    tuesday = next(o for o in report.outings if o.outing_id == 1)
    assert tuesday.activity_ids == (1, 2, 3) and tuesday.distance_m == 11000
    assert checks["threshold_dose"].value == pytest.approx(22 + 28 + 28)


def test_a_week_without_heart_rate_says_what_it_cannot_measure() -> None:
    rows = [
        run(1, 0, 7, 10, 50, hr=False, thr_min=None, above_min=None),
        run(2, 2, 7, 12, 55, "threshold", hr=False, work_min=30, thr_min=None, above_min=None),
        run(3, 6, 7, 16, 80, "long", hr=False, thr_min=None, above_min=None),
    ]
    report = build_week(frames(rows), WEEK, ELITE, target_weekly_km=40)
    checks = {c.key: c for c in report.checks}
    for key in ("threshold_dose", "intensity_control", "rep_drift", "easy", "hard_cap"):
        assert checks[key].status == "unknown", key
        assert checks[key].value is None
    assert "no HR zone time" in checks["easy"].reason
    assert "no heart rate" in checks["rep_drift"].reason
    assert checks["volume"].value == pytest.approx(38.0) and checks["volume"].status == "ok"
    assert checks["long_run"].status == "ok"  # 16 km is within 18 km


def test_an_empty_week() -> None:
    report = build_week(frames(elite_week(-1)), WEEK, ELITE, target_weekly_km=60)
    checks = {c.key: (c.value, c.status) for c in report.checks}
    assert report.outings == ()
    assert checks["volume"] == (0.0, "off")
    assert checks["threshold_sessions"] == (0, "off")
    assert checks["x_element"] == (0, "off")
    assert checks["long_run"] == (None, "unknown")
    assert checks["intensity_control"] == (None, "unknown")
    assert checks["flatness"] == (100.0, "off")  # all of last week's volume gone


def test_runs_not_analysed_yet_count_for_volume_but_not_for_types() -> None:
    rows = [run(1, 0, 7, 10, 50, None), run(2, 2, 7, 12, 55, "threshold", work_min=30, thr_min=25)]
    report = build_week(frames(rows), WEEK, ELITE, target_weekly_km=25)
    checks = {c.key: c for c in report.checks}
    assert checks["volume"].value == pytest.approx(22.0)
    assert checks["threshold_sessions"].status == "unknown"
    assert "not analysed yet" in checks["threshold_sessions"].reason


def test_the_same_run_from_two_sources_is_counted_once_in_hand_built_frames() -> None:
    rows = [run(1, 0, 7, 10, 50, recordings=2)]
    check = build_week(frames(rows), WEEK, ELITE, 10).checks[0]
    assert check.value == 10.0 and "counted once" in check.reason


def test_rep_drift_and_hard_work_name_the_sessions() -> None:
    rows = [
        run(1, 1, 7, 12, 55, "threshold", work_min=30, thr_min=25, drift=4.0),
        run(2, 3, 7, 12, 55, "vo2", work_min=20, above_min=12),
        run(3, 4, 7, 8, 40, zones={"I1": 1200.0, "I2": 600.0, "I4": 600.0}),
    ]
    checks = {c.key: c for c in build_week(frames(rows), WEEK, ELITE, 180).checks}
    assert checks["rep_drift"].value == 4.0 and checks["rep_drift"].status == "off"
    assert "Tue 17/3" in checks["rep_drift"].reason
    # I4-I5 from zones (10 min on Friday) plus the vo2 session's 12 min above the band
    assert checks["hard_cap"].value == pytest.approx(22.0)
    assert checks["hard_cap"].status == "off" and "Thu 19/3" in checks["hard_cap"].reason
    assert checks["easy"].value == pytest.approx(75.0)


def test_grading_near_and_off() -> None:
    band = Band(min=100, max=200)
    assert [grade(v, band, 0.1) for v in (150, 95, 85, 215, 230)] == [
        "ok", "near", "off", "near", "off"]  # fmt: skip
    assert [grade_count(v, Band(min=4, max=4)) for v in (4, 3, 2, 5, 0)] == [
        "ok", "near", "off", "near", "off"]  # fmt: skip
    assert grade_count(0, Band(min=1, max=1)) == "off"


def test_weeks_parse_and_default_to_the_last_complete_one() -> None:
    assert parse_week("2026-w7") == "2026-W07" and parse_week("2026W47") == "2026-W47"
    with pytest.raises(ValueError, match="ISO week"):
        parse_week("last week")
    with pytest.raises(ValueError, match="no week 53"):
        parse_week("2025-W53")  # 2026 has 53 ISO weeks, 2025 has 52
    today = dt.date(2026, 7, 1)  # a Wednesday in W27
    assert default_week(dt.datetime(2026, 6, 30, 8), today) == "2026-W26"
    assert default_week(dt.datetime(2026, 3, 20, 8), today) == "2026-W12"
    assert default_week(None, today) == "2026-W26"


def test_the_trend_starts_with_the_history() -> None:
    rows = build_trend(frames(elite_week(-1) + elite_week()), WEEK, 12, ELITE, 180)
    assert [r.week for r in rows] == ["2026-W11", "2026-W12"]
    assert rows[-1].threshold_sessions == 4 and rows[-1].double_days == 2


# -- real files -----------------------------------------------------------------


def _store(tmp_path: Path, *paths: Path) -> Store:
    from terskel.jobs.analyze import analyze

    store = Store.open(tmp_path / "s.duckdb")
    import_paths(store, list(paths), workers=2)
    analyze(store)
    return store


def test_one_run_on_two_watches_is_counted_once(tmp_path: Path) -> None:
    forerunner = shared_path("fit/running/runalyze__FR735XT-with-performance-condition.fit")
    fenix = shared_path("fit/running/runalyze__Fenix-3-with-runscribe-v1-38.fit")
    with _store(tmp_path, forerunner, fenix) as store:
        start = store.latest_local_start()
        assert start is not None
        from terskel.reports.weekly import week_of

        week = week_of(start.date())
        report = build_week(week_data(store, *span(week, 1)), week, ELITE, 50)
    assert len(report.running) == 1 and report.running[0].recordings == 2
    volume = report.checks[0]
    assert volume.value == pytest.approx(report.running[0].distance_m / 1000)
    assert "counted once" in volume.reason


@pytest.mark.slow
def test_coros_history_split_outings_are_single_sessions(tmp_path: Path) -> None:
    folder = shared_path("history/coros-road-runner")
    with _store(tmp_path, folder) as store:
        data = week_data(store, *span("2026-W26", 16))
    rows = build_trend(data, "2026-W26", 16, ELITE, 40)
    by_week = {r.week: r for r in rows}
    # the MANIFEST's weekly running km (all files counted)
    assert by_week["2026-W11"].distance_km == pytest.approx(46.9, abs=0.2)
    assert by_week["2026-W19"].distance_km == pytest.approx(54.5, abs=0.2)
    # 21 days with two or more files, none a true double: no double-threshold day anywhere
    assert all(r.double_days == 0 for r in rows)
    week12 = build_week(data, "2026-W12", ELITE, 40)
    tuesday = [o for o in week12.running if o.local_date == dt.date(2026, 3, 17)]
    assert len(tuesday) == 1 and len(tuesday[0].activity_ids) == 2  # warm-up file + 6x1000 m
    assert tuesday[0].session_type == "threshold" and len(tuesday[0].reps) == 6


@pytest.mark.slow
def test_trail_history_true_doubles_are_easy_not_threshold(tmp_path: Path) -> None:
    folder = shared_path("history/garmin-trail-runner")
    with _store(tmp_path, folder) as store:
        data = week_data(store, *span("2025-W31", 8))
    report = build_week(data, "2025-W27", ELITE, 70)
    wednesday = [o for o in report.running if o.local_date == dt.date(2025, 7, 2)]
    assert len(wednesday) == 2  # 08:29 and 20:28: two outings
    checks = {c.key: c for c in report.checks}
    assert checks["volume"].value == pytest.approx(83.5, abs=0.3)
    assert checks["long_run"].value == pytest.approx(22.6, abs=0.1)
    assert checks["long_run"].status == "off"  # 22.6 km over 4:51 beats both caps


def test_an_empty_week_without_target_or_history_judges_nothing_and_says_why() -> None:
    report = build_week(WeekData.empty(), WEEK, ELITE)
    checks = {c.key: c for c in report.checks}
    assert report.scale.source == "none"
    assert all(c.status in ("unknown", "n/a") for c in report.checks)
    # no unscaled elite numbers presented as this runner's targets
    assert checks["volume"].target == "-" and "150" not in checks["volume"].reason
    assert checks["volume"].reason.startswith("not judged: the template's targets are for 180 km")
    assert checks["threshold_sessions"].reason.startswith("not judged: no runs this week")


def test_check_names_values_and_reasons_say_what_they_mean() -> None:
    rows = [
        *elite_week(-1),
        run(1, 0, 7, 10, 50, zones=easy_zones(50)),
        run(2, 2, 7, 12, 60, "easy", above_min=0.5, zones={"I2": 3570, "I4": 30}),
        run(3, 4, 7, 8, 40, "easy", above_min=0.4, zones={"I2": 2376, "I4": 24}),
    ]
    report = build_week(frames(rows), WEEK, ELITE)
    checks = {c.key: c for c in report.checks}
    flat = checks["flatness"]
    assert flat.title == "flatness (change vs last week)"
    assert flat.reason.startswith("the larger change from last week")
    hard = checks["hard_cap"]  # 30 s + 24 s: under a minute each, still named
    assert (
        "Wed 18/3 easy 12.0 km 30 s" in hard.reason and "Fri 20/3 easy 8.0 km 24 s" in hard.reason
    )
    assert "above threshold (I4-I5)" in hard.reason and "none" not in hard.reason
    polarity = checks["polarity"]
    assert polarity.title == "some work above threshold (4 weeks)"
    assert "of running time above threshold (I4-I5)" in polarity.reason
    volume = checks["volume"]  # no target: no target shown, and it says how to get one
    assert (volume.status, volume.target) == ("unknown", "-")
    assert "set [athlete] target_weekly_km" in volume.reason


def test_the_reports_session_columns_are_the_analysis_ones() -> None:
    """week_data reads the `sessions` rows with the columns and types the typing writes."""
    import polars as pl

    from terskel.analysis.sessions import SESSION_SCHEMA
    from terskel.reports.week_data import SESSION_SCHEMA as READ

    python = {pl.Int64: int, pl.Date: dt.date, pl.String: str, pl.Float64: float, pl.Boolean: bool}
    assert {k: python[type(v)] for k, v in SESSION_SCHEMA.items()} == READ
