"""The Garmin Connect source: the real `garminconnect` client against a fake server."""

from __future__ import annotations

import datetime as dt
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from terskel.sources import garmin
from terskel.sources.fit import decode
from tests.garmin_fake import (
    GARMIN_DATA,
    LATEST_LACTATE,
    MFA_CODE,
    PASSWORD,
    FakeGarmin,
    demo_run,
    recorded,
    serve,
    zip_of,
)

GARTH_ZIP = GARMIN_DATA / "garth__11998957007.zip"


@pytest.fixture
def fake_garmin(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGarmin]:
    """A fake Garmin Connect on 127.0.0.1 that every new client talks to."""
    with serve(monkeypatch) as fake:
        yield fake


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """garminconnect sleeps between retries; tests need not wait."""
    monkeypatch.setattr("garminconnect.time.sleep", lambda _s: None)


# -- login ----------------------------------------------------------------------------


def test_resume_uses_stored_tokens_without_a_password(
    fake_garmin: FakeGarmin, tmp_path: Path
) -> None:
    fake_garmin.token_file(tmp_path / "tokens")
    client = garmin.resume(tmp_path / "tokens")
    assert client.client._connectapi == fake_garmin.base
    assert not fake_garmin.paths("/mobile/api/login")
    assert not fake_garmin.paths("/di-oauth2-service")  # still valid: no refresh
    assert fake_garmin.paths("/userprofile-service/socialProfile")


def test_expired_token_is_refreshed_and_saved_0600(fake_garmin: FakeGarmin, tmp_path: Path) -> None:
    token_dir = tmp_path / "tokens"
    path = fake_garmin.token_file(token_dir, lifetime_s=-60)
    old = json.loads(path.read_text())["di_token"]
    garmin.resume(token_dir)
    saved = json.loads(path.read_text())
    assert saved["di_token"] == fake_garmin.access != old
    assert saved["di_refresh_token"] == fake_garmin.refresh
    assert _mode(path) == 0o600 and _mode(token_dir) == 0o700
    assert not fake_garmin.paths("/mobile/api/login")


def test_refused_refresh_is_an_auth_error(
    fake_garmin: FakeGarmin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_sleep(monkeypatch)
    fake_garmin.token_file(tmp_path, lifetime_s=-60)
    fake_garmin.refresh_works = False
    with pytest.raises(garmin.GarminAuthError, match="no longer works") as info:
        garmin.resume(tmp_path)
    assert "\n" not in str(info.value)


def test_missing_tokens_fail_before_any_request(fake_garmin: FakeGarmin, tmp_path: Path) -> None:
    with pytest.raises(garmin.GarminAuthError, match="not signed in"):
        garmin.resume(tmp_path / "nothing-here")
    assert fake_garmin.requests == []


def test_password_login_asks_for_the_mfa_code(fake_garmin: FakeGarmin, tmp_path: Path) -> None:
    fake_garmin.mfa_users.add("runner@example.com")
    asked: list[str] = []

    def prompt() -> str:
        asked.append("mfa")
        return MFA_CODE

    client = garmin.sign_in("runner@example.com", PASSWORD, prompt)
    assert asked == ["mfa"]
    assert fake_garmin.paths("/mobile/api/mfa/verifyCode")
    path = garmin.save_tokens(client, tmp_path / "garmin-tokens")
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    saved = path.read_text()
    assert PASSWORD not in saved and "runner@example.com" not in saved
    assert json.loads(saved)["di_token"] == fake_garmin.access
    garmin.resume(path.parent)  # the saved tokens work on their own


def test_password_login_without_mfa_never_prompts(fake_garmin: FakeGarmin) -> None:
    def prompt() -> str:
        raise AssertionError("no MFA was asked for")

    garmin.sign_in("runner@example.com", PASSWORD, prompt)
    assert len(fake_garmin.paths("/di-oauth2-service/oauth/token")) == 1


def test_wrong_password_is_one_clear_auth_error(fake_garmin: FakeGarmin) -> None:
    with pytest.raises(garmin.GarminAuthError, match="Invalid Username or Password") as info:
        garmin.sign_in("runner@example.com", "wrong", lambda: MFA_CODE)
    assert "\n" not in str(info.value) and "wrong" not in str(info.value)
    assert len(fake_garmin.paths("/mobile/api/login")) == 1  # no retry with other strategies


def test_wrong_mfa_code_is_an_auth_error(fake_garmin: FakeGarmin) -> None:
    fake_garmin.mfa_users.add("runner@example.com")
    with pytest.raises(garmin.GarminAuthError, match="MFA"):
        garmin.sign_in("runner@example.com", PASSWORD, lambda: "000000")


def test_default_endpoints_are_garmin_connect() -> None:
    client = garmin.new_client(endpoints=garmin.Endpoints())
    assert client.client._connectapi == "https://connectapi.garmin.com"
    assert client.client._sso == "https://sso.garmin.com"


# -- activities ---------------------------------------------------------------------------


def test_activity_list_pages_oldest_first_from_a_date(
    fake_garmin: FakeGarmin, tmp_path: Path
) -> None:
    for index in range(5):
        fake_garmin.add_fit(demo_run(index))
    fake_garmin.token_file(tmp_path)
    client = garmin.resume(tmp_path)
    pages = list(garmin.activity_pages(client, dt.date(2000, 1, 1), page_size=2))
    assert [len(page) for page in pages] == [2, 2, 1]
    starts = [item["startTimeGMT"] for page in pages for item in page]
    assert starts == sorted(starts)
    queries = [q for _p, q in fake_garmin.paths("/activitylist-service")]
    assert [q["start"] for q in queries] == [["0"], ["2"], ["4"]]
    assert {q["sortOrder"][0] for q in queries} == {"asc"}
    newest = max(a.start_utc for a in fake_garmin.activities).date()
    recent = list(garmin.activity_pages(client, newest, page_size=2))
    assert [len(page) for page in recent] == [1]


def test_original_download_is_unzipped_in_memory(fake_garmin: FakeGarmin, tmp_path: Path) -> None:
    activity = fake_garmin.add_fit(demo_run(1))
    activity.download = GARTH_ZIP.read_bytes()  # a real Garmin Connect response body
    fake_garmin.token_file(tmp_path)
    client = garmin.resume(tmp_path)
    content = garmin.original_fit(client, str(activity.activity_id))
    assert content[8:12] == b".FIT" and len(content) == 88_212
    fit = decode(content)
    assert fit.product and fit.sessions[0].start_utc.date() == dt.date(2023, 9, 11)
    summary = garmin.activity_summary(client, str(activity.activity_id))
    assert summary["activityId"] == activity.activity_id and "summaryDTO" in summary


def test_zip_member_names_and_bad_downloads() -> None:
    fit = demo_run(4).read_bytes()
    assert garmin.fit_from_zip(zip_of("4077461142.fit", fit), "4077461142") == fit
    with pytest.raises(garmin.GarminDownloadError, match="not a zip"):
        garmin.fit_from_zip(b"<html>Service Unavailable</html>", "1")
    with pytest.raises(garmin.NoFitFile, match=r"activity\.gpx"):
        garmin.fit_from_zip(zip_of("activity.gpx", b"<gpx/>"), "1")


def test_a_zip_bomb_download_stops_at_the_cap() -> None:
    from terskel.sources.files import MAX_FIT_BYTES

    bomb = zip_of("1_ACTIVITY.fit", bytes(MAX_FIT_BYTES + 1))  # ~65 KB deflated
    assert len(bomb) < 1024 * 1024
    with pytest.raises(garmin.GarminDownloadError, match="too large"):
        garmin.fit_from_zip(bomb, "1")


def test_429_becomes_rate_limited(fake_garmin: FakeGarmin, tmp_path: Path) -> None:
    activity = fake_garmin.add_fit(demo_run(0))
    fake_garmin.token_file(tmp_path)
    client = garmin.resume(tmp_path)
    fake_garmin.fail[f"/download-service/files/activity/{activity.activity_id}"] = 429
    with pytest.raises(garmin.GarminRateLimited, match="429"):
        garmin.original_fit(client, str(activity.activity_id))
    fake_garmin.fail["/activitylist-service/activities/search/activities"] = 429
    with pytest.raises(garmin.GarminRateLimited):
        list(garmin.activity_pages(client, dt.date(2020, 1, 1)))


def test_server_error_is_a_plain_one_line_error(fake_garmin: FakeGarmin, tmp_path: Path) -> None:
    activity = fake_garmin.add_fit(demo_run(0))
    fake_garmin.token_file(tmp_path)
    client = garmin.resume(tmp_path)
    fake_garmin.fail[f"/activity-service/activity/{activity.activity_id}"] = 500
    with pytest.raises(garmin.GarminError, match="500") as info:
        garmin.activity_summary(client, str(activity.activity_id))
    assert type(info.value) is garmin.GarminError and "\n" not in str(info.value)


# -- physiology ---------------------------------------------------------------------------

# The shape garminconnect's get_lactate_threshold(latest=True) builds from
# biometric-service/biometric/latestLactateThreshold and powerToWeight/latest
# (no recording of these endpoints exists: see ../shared/data/garmin/MANIFEST.md).
LACTATE = {
    "speed_and_heart_rate": {
        "userProfilePK": 1,
        "version": 1747697284085,
        "calendarDate": "2025-05-19T22:08:04.0",
        "sequence": 1747697284085,
        "speed": 0.3125,
        "heartRate": 168,
        "heartRateCycling": None,
    },
    "power": {"functionalThresholdPower": 344, "calendarDate": "2025-05-12", "sport": "RUNNING"},
}


def test_lactate_threshold_maps_to_dated_thresholds() -> None:
    today = dt.date(2025, 6, 1)
    rows = garmin.threshold_rows(
        garmin.Physiology(LACTATE, recorded("heart_rate_zones.json")), today
    )
    by_marker = {row["marker"]: row for row in rows}
    assert set(by_marker) == {
        "lt2_hr",
        "threshold_speed_mps",
        "threshold_power_w",
        "max_hr",
        "resting_hr",
    }
    assert by_marker["lt2_hr"]["value"] == 168 and by_marker["lt2_hr"]["effective_from"] == dt.date(
        2025, 5, 19
    )
    speed = by_marker["threshold_speed_mps"]
    assert speed["value"] == 3.2 and speed["effective_from"] == dt.date(
        2025, 5, 19
    )  # 0.3125 s/m = 5:12/km
    assert by_marker["threshold_power_w"]["value"] == 344
    assert by_marker["threshold_power_w"]["effective_from"] == dt.date(2025, 5, 12)
    # recorded heart-rate zones: maxHeartRateUsed 185, restingHeartRateUsed 42
    assert by_marker["max_hr"]["value"] == 185 and by_marker["max_hr"]["effective_from"] == today
    assert by_marker["resting_hr"]["value"] == 42
    assert {row["source"] for row in rows} == {"garmin"}
    assert all(row["note"].startswith("Garmin Connect") for row in rows)


def test_zone_settings_fill_in_when_there_is_no_lactate_test() -> None:
    today = dt.date(2025, 6, 1)
    rows = garmin.threshold_rows(garmin.Physiology(None, recorded("heart_rate_zones.json")), today)
    lt = [row for row in rows if row["marker"] == "lt2_hr"]
    assert [(r["value"], r["effective_from"]) for r in lt] == [(170, today)]
    assert garmin.threshold_rows(garmin.Physiology(None, None), today) == []


def test_implausible_or_empty_values_are_dropped() -> None:
    odd = {
        "speed_and_heart_rate": {"calendarDate": None, "speed": 3.5, "heartRate": 0},
        "power": {},
    }
    assert garmin.threshold_rows(garmin.Physiology(odd, []), dt.date(2025, 1, 1)) == []


def test_physiology_through_the_real_client(fake_garmin: FakeGarmin, tmp_path: Path) -> None:
    fake_garmin.lactate = LATEST_LACTATE
    fake_garmin.power = [{"functionalThresholdPower": 344, "calendarDate": "2025-05-12"}]
    fake_garmin.token_file(tmp_path)
    payloads = garmin.physiology(garmin.resume(tmp_path))
    rows = garmin.threshold_rows(payloads, dt.date(2025, 6, 1))
    assert {r["marker"]: r["value"] for r in rows} == {
        "lt2_hr": 168,
        "threshold_speed_mps": 3.2,
        "threshold_power_w": 344,
        "max_hr": 185,
        "resting_hr": 42,
    }


def test_missing_physiology_is_not_an_error(fake_garmin: FakeGarmin, tmp_path: Path) -> None:
    fake_garmin.token_file(tmp_path)
    fake_garmin.fail["/biometric-service/heartRateZones"] = 404
    payloads = garmin.physiology(garmin.resume(tmp_path))
    assert payloads.zones is None
