"""Strava sync against a fake API on 127.0.0.1 serving recorded payloads (real stravalib)."""

from __future__ import annotations

import datetime as dt
import json
import re
import stat
import time
from pathlib import Path

import polars as pl
import pytest
from stravalib.protocol import ApiV3
from typer.testing import CliRunner

from terskel.cli import app
from terskel.config import STRAVA_TOKEN_FILE, Settings, StravaSettings
from terskel.jobs.ingest import import_paths
from terskel.jobs.sync import SourceReport, SyncOptions, sync_source
from terskel.jobs.sync import strava as connector
from terskel.sources.strava import StravaApi, Tokens, load_tokens, save_tokens
from terskel.sources.strava import client as strava_client
from terskel.sources.units import SAMPLE_SCHEMA
from terskel.store import Store
from tests.conftest import TEST_DATA
from tests.jobs.sync.fake_strava import (
    INACTIVE_BODY,
    LAPS_ID,
    RIDE_ID,
    FakeStrava,
    clone,
    load,
)

FAR_FUTURE = 4_000_000_000


def _tokens(folder: Path, expires_at: int = FAR_FUTURE, secret: str | None = None) -> Path:
    path = folder / STRAVA_TOKEN_FILE
    save_tokens(path, Tokens("ACCESS_TOKEN", "REFRESH_TOKEN", expires_at, 123, None, None, secret))
    return path


def _sync(store: Store, folder: Path, full: bool = False, wait: bool = False) -> SourceReport:
    settings = Settings(strava=StravaSettings(lookback_days=7))
    options = SyncOptions(full=full, wait=wait, interactive=False, secrets_dir=folder)
    return sync_source(store, settings, "strava", options, lambda _label: None)


def _strava_rows(store: Store) -> pl.DataFrame:
    return store.con.sql(
        "SELECT source_id, activity_id, raw_json FROM activity_sources WHERE source = 'strava'"
    ).pl()


def test_first_sync_saves_every_activity_with_streams_laps_and_raw_payloads(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    _tokens(tmp_path)
    report = _sync(store, tmp_path)
    assert (report.status, report.new, report.failed) == ("ok", 14, [])
    rows = _strava_rows(store)
    assert rows.height == 14
    ride = rows.filter(pl.col("source_id") == str(RIDE_ID))
    raw = json.loads(ride["raw_json"][0])
    assert raw["id"] == RIDE_ID and raw["description"] == "Something Special"
    assert {s["type"] for s in raw["streams"]} >= {"heartrate", "latlng", "time"}
    samples = store.samples([int(ride["activity_id"][0])]).collect()
    assert samples.height == 998  # 999 points, one without a time
    assert set(SAMPLE_SCHEMA) <= set(samples.columns)
    assert samples["heart_rate"][0] == 111 and samples["lat"][0] is None
    activity = store.activities().filter(pl.col("activity_id") == ride["activity_id"][0])
    assert activity["utc_offset_s"][0] == -7 * 3600  # PDT, from start_date_local
    lapped = rows.filter(pl.col("source_id") == str(LAPS_ID))["activity_id"][0]
    assert store.laps([int(lapped)]).collect()["distance_m"].to_list() == [25109.4]
    assert store.sync_runs()["status"][0] == "ok"


def test_incremental_sync_asks_after_newest_minus_lookback_and_fetches_only_new(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    _tokens(tmp_path)
    _sync(store, tmp_path)
    newest = store.newest_start("strava")
    assert newest == dt.datetime(2013, 9, 28, 17, 27, 59)
    fake_strava.log.clear()
    newer = clone(fake_strava.summaries[0], 999_001, newest + dt.timedelta(days=3))
    fake_strava.add(newer)
    report = _sync(store, tmp_path)
    assert (report.status, report.new, report.updated) == ("ok", 1, 0)
    after = int((newest - dt.timedelta(days=7)).replace(tzinfo=dt.UTC).timestamp())
    listing = fake_strava.api_calls("/athlete/activities")
    assert len(listing) == 1 and f"after={after}" in listing[0]
    # the activities in the look-back window are unchanged: only the new one is fetched
    fetched = fake_strava.api_calls("/api/v3/activities/")
    assert all("/activities/999001" in call for call in fetched)
    assert len(fake_strava.api_calls("/api/v3/activities/")) == 3


def test_activity_edited_upstream_is_fetched_again_and_updated(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    _tokens(tmp_path)
    _sync(store, tmp_path)
    edited = fake_strava.summaries[0]  # the newest: inside the look-back window
    edited["distance"] = 24000.0
    edited["name"] = "Cropped ride"
    fake_strava.details[int(edited["id"])] = dict(edited)
    report = _sync(store, tmp_path)
    assert (report.status, report.new, report.updated) == ("ok", 0, 1)
    row = _strava_rows(store).filter(pl.col("source_id") == str(edited["id"]))
    assert json.loads(row["raw_json"][0])["name"] == "Cropped ride"
    activity = store.activities().filter(pl.col("activity_id") == row["activity_id"][0])
    assert activity["distance_m"][0] == 24000.0
    assert store.activities().height == 14


def _long_history(fake: FakeStrava, count: int) -> None:
    template = {**fake.summaries[1], "manual": True}
    start = dt.datetime(2020, 1, 1, 7, 0)
    fake.summaries, fake.details = [], {}
    for n in range(count):
        fake.add(clone(template, 5_000_000 + n, start + dt.timedelta(days=n)))
        fake.details[5_000_000 + n]["laps"] = []  # current detail answers carry laps
    fake.limits = (10_000, 100_000)


def test_listing_pages_past_200_activities(fake_strava: FakeStrava, tmp_path: Path) -> None:
    _long_history(fake_strava, 450)
    api = StravaApi(Tokens("ACCESS_TOKEN", "REFRESH_TOKEN", FAR_FUTURE), None, lambda _t: None)
    pages = list(api.activity_pages(None))
    assert [len(p) for p in pages] == [200, 200, 50]
    assert len({s["id"] for page in pages for s in page}) == 450
    assert "per_page=200" in fake_strava.api_calls("/athlete/activities")[0]


def test_sync_walks_every_page(
    fake_strava: FakeStrava, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tokens(tmp_path)
    _long_history(fake_strava, 45)
    monkeypatch.setattr(strava_client, "PAGE_SIZE", 20)  # 3 pages without 600 slow saves
    report = _sync(store, tmp_path)
    assert (report.status, report.new) == ("ok", 45)
    pages = fake_strava.api_calls("/athlete/activities")
    assert [p.split("page=")[1].split("&")[0] for p in pages] == ["1", "2", "3"]
    assert len(fake_strava.api_calls("/streams")) == 0  # manual: no streams asked
    assert store.activities().height == 45


def test_expiring_token_is_refreshed_first_and_saved_at_once_0600(
    fake_strava: FakeStrava, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _tokens(tmp_path, expires_at=int(time.time()) + 60)
    fake_strava.access_tokens = set()  # the old token is refused: only a refreshed one works
    monkeypatch.setenv("STRAVA_CLIENT_ID", "12345")
    monkeypatch.setenv("STRAVA_CLIENT_SECRET", "SECRET")
    report = _sync(store, tmp_path)
    assert (report.status, report.new) == ("ok", 14)
    assert fake_strava.log[0].startswith("POST /oauth/token")
    assert len(fake_strava.api_calls("/oauth/token")) == 1
    saved = load_tokens(path)
    assert saved is not None
    assert (saved.access_token, saved.expires_at) == ("NEW_ACCESS_TOKEN", 2600000000)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_expired_token_without_secret_asks_for_auth(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    _tokens(tmp_path, expires_at=int(time.time()) - 10)
    report = _sync(store, tmp_path)
    assert report.status == "auth" and "terskel auth strava" in (report.message or "")


def test_rate_limit_near_the_limit_stops_cleanly_and_the_next_run_resumes(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    _tokens(tmp_path)
    fake_strava.usage = [90, 500]  # 15-minute read limit 100: room for two activities
    report = _sync(store, tmp_path)
    assert (report.status, report.new) == ("partial", 2)
    assert report.resume_after is not None and report.resume_after.minute % 15 == 0
    assert 0 < (report.resume_after - dt.datetime.now(dt.UTC).replace(tzinfo=None)).seconds <= 900
    assert max(fake_strava.usage[0], 0) <= 100  # never hit the limit
    assert store.sync_runs()["resume_after"][0] == report.resume_after
    fake_strava.usage = [0, 600]  # the window reset
    again = _sync(store, tmp_path)
    assert (again.status, again.new) == ("ok", 12)
    assert store.activities().height == 14


def test_daily_limit_resumes_after_midnight_utc(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    _tokens(tmp_path)
    fake_strava.usage = [0, 996]
    report = _sync(store, tmp_path)
    assert report.status == "partial" and report.resume_after is not None
    assert (report.resume_after.hour, report.resume_after.minute) == (0, 0)


def test_wait_sleeps_through_the_window_instead_of_stopping(
    fake_strava: FakeStrava, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tokens(tmp_path)
    fake_strava.usage = [90, 500]
    sleeps: list[dt.datetime] = []

    def fake_sleep(moment: dt.datetime) -> None:
        sleeps.append(moment)
        fake_strava.usage = [0, 600]

    monkeypatch.setattr(connector, "sleep_until", fake_sleep)
    report = _sync(store, tmp_path, wait=True)
    assert (report.status, report.new, len(sleeps)) == ("ok", 14, 1)


def test_429_stops_keeps_what_was_fetched_and_exits_1(
    fake_strava: FakeStrava, tmp_path: Path
) -> None:
    _tokens(tmp_path)
    fake_strava.faults[r"/api/v3/activities/3555298"] = (429, {"message": "Rate Limit Exceeded"})
    db = tmp_path / "s.duckdb"
    config = tmp_path / "config.toml"
    config.write_text("")
    result = CliRunner().invoke(
        app, ["--db", str(db), "--config", str(config), "sync", "--source", "strava"]
    )
    assert result.exit_code == 1, result.output
    assert "429" in result.output
    assert re.search(r"after \d{4}-\d\d-\d\d \d\d:\d\d UTC", result.output)
    with Store.open(db) as store:
        # activities are fetched oldest first: the ones before the refused one are kept
        assert store.activities().height == 9


def test_401_exits_3_and_says_to_sign_in(fake_strava: FakeStrava, tmp_path: Path) -> None:
    _tokens(tmp_path)
    fake_strava.access_tokens = set()
    config = tmp_path / "config.toml"
    config.write_text("")
    result = CliRunner().invoke(
        app,
        ["--db", str(tmp_path / "s.duckdb"), "--config", str(config), "sync", "--source", "strava"],
    )
    assert result.exit_code == 3
    assert "run `terskel auth strava`" in result.output
    assert "Traceback" not in result.output


def test_no_token_file_is_auth_needed(store: Store, tmp_path: Path) -> None:
    report = _sync(store, tmp_path)
    assert report.status == "auth"


def test_403_inactive_explains_the_subscription_and_the_bulk_export(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    _tokens(tmp_path)
    fake_strava.faults[r"/api/v3/athlete/activities"] = (403, INACTIVE_BODY)
    report = _sync(store, tmp_path)
    assert report.status == "failed"
    assert "subscription" in (report.message or "")
    assert "terskel import export_" in (report.message or "")


def test_server_errors_are_retried_then_fail_without_losing_anything(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    _tokens(tmp_path)
    _sync(store, tmp_path)
    fake_strava.faults[r"/api/v3/athlete/activities"] = (503, {"message": "unavailable"})
    fake_strava.log.clear()
    report = _sync(store, tmp_path)
    assert report.status == "failed" and "503" in (report.message or "")
    assert len(fake_strava.api_calls("/athlete/activities")) == 4  # tenacity: 4 attempts
    assert store.activities().height == 14


def test_network_down_retries_then_fails(
    fake_strava: FakeStrava, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tokens(tmp_path)
    monkeypatch.setattr(ApiV3, "server", "127.0.0.1:9")  # discard port: connection refused
    report = _sync(store, tmp_path)
    assert report.status == "failed" and "network error" in (report.message or "")


def test_stream_set_without_heart_rate(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    _tokens(tmp_path)
    recorded = load("go_strava__activity_stream.json")
    fake_strava.streams[RIDE_ID] = [s for s in recorded if s["type"] != "heartrate"]
    _sync(store, tmp_path)
    ride = _strava_rows(store).filter(pl.col("source_id") == str(RIDE_ID))
    samples = store.samples([int(ride["activity_id"][0])]).collect()
    assert samples.height == 998
    assert samples["heart_rate"].null_count() == 998
    assert samples["speed_mps"].null_count() < 10 and samples["power_w"].null_count() < 10


def test_full_sync_marks_activities_deleted_upstream(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    _tokens(tmp_path)
    _sync(store, tmp_path)
    fake_strava.remove(RIDE_ID)
    incremental = _sync(store, tmp_path)
    assert incremental.deleted == 0
    report = _sync(store, tmp_path, full=True)
    assert (report.status, report.deleted, report.new) == ("ok", 1, 0)
    assert store.activities().height == 13


def test_the_same_run_from_fit_and_strava_is_one_activity(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    fit = TEST_DATA / "strava" / "fitparse__2013-02-06-12-11-14.fit"
    assert import_paths(store, [fit], workers=1).imported == 1
    # the recorded Strava run, moved onto the FIT file's run (start, duration, distance)
    run = load("stravalib__activity.3.json")
    run.update(
        start_date="2013-02-06T12:11:15Z",
        start_date_local="2013-02-06T12:11:15Z",
        elapsed_time=2625,
        distance=4830.0,
    )
    fake_strava.summaries, fake_strava.details = [], {}
    fake_strava.add(run, dict(run))
    _tokens(tmp_path)
    report = _sync(store, tmp_path)
    assert (report.status, report.new, report.updated) == ("ok", 0, 1)
    activities = store.activities()
    assert activities.height == 1 and activities["sources"][0] == "fit,strava"
    assert activities["recordings"][0] == 2
