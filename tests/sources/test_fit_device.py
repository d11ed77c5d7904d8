"""The watch's own HR settings read from real FIT files, and kept as dated markers."""

from __future__ import annotations

import datetime as dt

from terskel.jobs.ingest import import_paths
from terskel.sources.fit import decode
from terskel.sources.fit_device import device_markers
from terskel.store import Store
from tests.conftest import shared_path


def test_garmin_file_carries_max_and_resting_hr() -> None:
    # zones_target max 189, threshold 0 (not set), user_profile resting 57
    path = shared_path("history/garmin-trail-runner/486679397.fit")
    assert decode(path.read_bytes()).device_markers == {"max_hr": 189.0, "resting_hr": 57.0}


def test_threshold_hr_from_zones_target() -> None:
    path = shared_path("fit/running/fnardmann__10024712104_ACTIVITY.fit")
    found = decode(path.read_bytes()).device_markers
    assert found["lt2_hr"] == 170.0
    assert found["max_hr"] == 189.0


def test_max_hr_from_the_top_zone_boundary_when_nothing_else_has_it() -> None:
    # time_in_zone boundaries [93, 111, 130, 148, 167, 185] by % of max HR
    path = shared_path("fit/running/fnardmann__my_activity.fit")
    assert decode(path.read_bytes()).device_markers == {"max_hr": 185.0}


def test_a_coros_file_has_no_settings() -> None:
    path = shared_path("history/coros-road-runner/476137313624162507.fit")
    assert decode(path.read_bytes()).device_markers == {}


def test_threshold_above_max_drops_both() -> None:
    messages = {"zones_target": [{"max_heart_rate": 172, "threshold_heart_rate": 180}]}
    assert device_markers(messages) == {}


def test_placeholders_are_not_markers() -> None:
    messages = {
        "zones_target": [{"max_heart_rate": 255, "threshold_heart_rate": 0}],
        "user_profile": [{"resting_heart_rate": 0}],
    }
    assert device_markers(messages) == {}


def test_import_stores_them_dated_with_source_device(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = shared_path("history/garmin-trail-runner/486679397.fit")
    with Store.open(tmp_path / "s.duckdb") as store:
        import_paths(store, [path], workers=1)
        rows = store.thresholds().filter(source="device").sort("marker")
    assert rows["marker"].to_list() == ["max_hr", "resting_hr"]
    assert rows["value"].to_list() == [189.0, 57.0]
    day = rows["effective_from"][0]
    assert isinstance(day, dt.date) and day.year == 2025
