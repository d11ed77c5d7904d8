"""Syncs that heal (issue 12): failed items are retried first and given up only after
`[sync] max_tries`; cut-short and malformed answers fail the item, never the run; every
sync_log row ends; a listing stopped by a 429 resumes where it stopped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from terskel.cli import app
from terskel.config import GARMIN_TOKEN_DIR, STRAVA_TOKEN_FILE, Settings, SyncSettings
from terskel.jobs.ingest import import_paths
from terskel.jobs.sync import SourceReport, SyncOptions, sync_source
from terskel.jobs.sync import strava as strava_connector
from terskel.sources import strava as strava_source
from terskel.sources.strava import Tokens, save_tokens
from terskel.sources.strava import client as strava_client
from terskel.store import Store
from tests.garmin_fake import FakeGarmin, demo_run, serve, zip_of
from tests.jobs.sync.fake_strava import RIDE_ID, FakeStrava, Raw, clone

runner = CliRunner()


@pytest.fixture
def fake_garmin(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGarmin]:
    """A fake Garmin Connect on 127.0.0.1 that every new client talks to."""
    with serve(monkeypatch) as fake:
        yield fake


def _sync(
    store: Store, folder: Path, source: str, max_tries: int = 5, full: bool = False
) -> SourceReport:
    settings = Settings(sync=SyncSettings(max_tries=max_tries))
    options = SyncOptions(full=full, secrets_dir=folder)
    return sync_source(store, settings, source, options, lambda _label: None)


def _garmin(fake: FakeGarmin, folder: Path, runs: int) -> list[str]:
    for index in range(runs):
        fake.add_fit(demo_run(index))
    fake.token_file(folder / GARMIN_TOKEN_DIR)
    return [str(a.activity_id) for a in sorted(fake.activities, key=lambda a: a.start_utc)]


def _downloads(fake: FakeGarmin) -> list[str]:
    return [path.rsplit("/", 1)[-1] for path, _q in fake.paths("/download-service")]


def _strava_tokens(folder: Path) -> None:
    save_tokens(folder / STRAVA_TOKEN_FILE, Tokens("ACCESS_TOKEN", "REFRESH_TOKEN", 4_000_000_000))


def _stored(store: Store, source: str) -> set[str]:
    return store.source_ids(source)


# -- Garmin ---------------------------------------------------------------------------


def test_garmin_502_on_one_download_is_retried_first_on_the_next_run(
    fake_garmin: FakeGarmin, store: Store, tmp_path: Path
) -> None:
    ids = _garmin(fake_garmin, tmp_path, runs=3)
    fake_garmin.fail[f"/download-service/files/activity/{ids[0]}"] = 502
    first = _sync(store, tmp_path, "garmin")
    assert (first.status, first.new, [label for label, _ in first.failed]) == (
        "partial",
        2,
        [f"garmin:{ids[0]}"],
    )
    (queued,) = store.retry_items("garmin")
    assert (queued.item_id, queued.tries, queued.given_up) == (ids[0], 1, False)
    assert "502" in queued.error
    del fake_garmin.fail[f"/download-service/files/activity/{ids[0]}"]
    fake_garmin.requests.clear()
    second = _sync(store, tmp_path, "garmin")
    assert (second.status, second.new, second.failed) == ("ok", 1, [])
    assert _downloads(fake_garmin) == [ids[0]]  # first, and the only one fetched again
    assert _stored(store, "garmin") == set(ids)
    assert store.retry_items("garmin", include_given_up=True) == []


def test_garmin_item_outside_the_look_back_is_not_forgotten(
    fake_garmin: FakeGarmin, store: Store, tmp_path: Path
) -> None:
    ids = _garmin(fake_garmin, tmp_path, runs=2)
    oldest = sorted(fake_garmin.activities, key=lambda a: a.start_utc)[0]
    oldest.start_utc = dt.datetime(2001, 1, 1)  # years before the newest: outside the look-back
    fake_garmin.fail[f"/download-service/files/activity/{ids[0]}"] = 500
    assert _sync(store, tmp_path, "garmin").status == "partial"
    del fake_garmin.fail[f"/download-service/files/activity/{ids[0]}"]
    fake_garmin.requests.clear()
    again = _sync(store, tmp_path, "garmin")
    assert (again.status, again.new) == ("ok", 1)
    listed_from = fake_garmin.paths("/activitylist-service")[0][1]["startDate"][0]
    assert listed_from > "2001-01-01"  # the listing alone would never have found it again
    assert _stored(store, "garmin") == set(ids)


def test_garmin_gives_up_after_max_tries_and_status_says_so(
    fake_garmin: FakeGarmin, tmp_path: Path
) -> None:
    ids = _garmin(fake_garmin, tmp_path, runs=2)
    fake_garmin.fail[f"/download-service/files/activity/{ids[1]}"] = 502
    db = tmp_path / "store.duckdb"
    config = tmp_path / "config.toml"
    config.write_text("[sync]\nmax_tries = 2\n")
    cli = ["--db", str(db), "--config", str(config)]
    codes = [runner.invoke(app, [*cli, "sync", "--source", "garmin"])]
    waiting = runner.invoke(app, [*cli, "status"]).output
    assert "waiting to be fetched again on the next sync: garmin 1" in waiting
    codes += [runner.invoke(app, [*cli, "sync", "--source", "garmin"]) for _ in range(2)]
    assert [r.exit_code for r in codes] == [1, 1, 0], [r.output for r in codes]
    assert "try 2 of 2" not in codes[0].output and "gave up after 2 tries" in codes[1].output
    assert _downloads(fake_garmin).count(ids[1]) == 2  # not asked a third time
    status = runner.invoke(app, [*cli, "status"])
    assert status.exit_code == 0
    assert f"gave up: garmin activity {ids[1]} after 2 tries" in status.output
    assert "502" in status.output
    del fake_garmin.fail[f"/download-service/files/activity/{ids[1]}"]
    full = runner.invoke(app, [*cli, "sync", "--source", "garmin", "--full"])
    assert full.exit_code == 0, full.output
    with Store.open(db, read_only=True) as store:
        assert _stored(store, "garmin") == set(ids)
        assert store.queued_items() == []


def test_cut_short_garmin_download_is_a_failure_then_stored_whole(
    fake_garmin: FakeGarmin, store: Store, tmp_path: Path
) -> None:
    ids = _garmin(fake_garmin, tmp_path, runs=1)
    (activity,) = fake_garmin.activities
    assert activity.fit is not None
    activity.download = zip_of(f"{ids[0]}_ACTIVITY.fit", activity.fit[: len(activity.fit) // 3])
    first = _sync(store, tmp_path, "garmin")
    assert (first.status, first.new) == ("partial", 0)
    assert "cut short" in first.failed[0][1] or "damaged" in first.failed[0][1]
    assert store.activities().height == 0  # not stored as if it were the whole run
    activity.download = zip_of(f"{ids[0]}_ACTIVITY.fit", activity.fit)
    second = _sync(store, tmp_path, "garmin")
    assert (second.status, second.new) == ("ok", 1)
    with Store.open(tmp_path / "direct.duckdb") as direct:
        import_paths(direct, [demo_run(0)], workers=1)
        whole = direct.activities()["sample_count"][0]
    assert store.activities()["sample_count"][0] == whole


# -- Strava -----------------------------------------------------------------------------


def test_strava_malformed_details_fail_the_item_with_a_reason_and_are_retried(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    _strava_tokens(tmp_path)
    listed, null_start, not_json = (int(s["id"]) for s in fake_strava.summaries[:3])
    fake_strava.faults[rf"/api/v3/activities/{listed}"] = (200, [{"id": listed}])
    fake_strava.faults[rf"/api/v3/activities/{null_start}"] = (
        200,
        {**fake_strava.details[null_start], "start_date": None},
    )
    fake_strava.faults[rf"/api/v3/activities/{not_json}"] = (200, Raw(b'{"id": 1, "na'))
    first = _sync(store, tmp_path, "strava")
    assert (first.status, first.new) == ("partial", 11)
    reasons = dict(first.failed)
    assert "not an activity" in reasons[f"activity {listed}"]
    assert "start_date" in reasons[f"activity {null_start}"]
    assert "not JSON" in reasons[f"activity {not_json}"]
    run = store.sync_runs().row(0, named=True)
    assert (run["status"], run["failed"]) == ("partial", 3) and run["finished_at"] is not None
    assert {i.item_id for i in store.retry_items("strava")} == {
        str(listed),
        str(null_start),
        str(not_json),
    }
    fake_strava.faults.clear()
    fake_strava.log.clear()
    second = _sync(store, tmp_path, "strava")
    assert (second.status, second.new, second.failed) == ("ok", 3, [])
    assert store.activities().height == 14 and store.queued_items() == []


def test_strava_cut_short_body_is_retried_in_the_run(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    _strava_tokens(tmp_path)
    fake_strava.once(rf"/api/v3/activities/{RIDE_ID}", (200, Raw(b'{"id": 1', declared=5000)))
    report = _sync(store, tmp_path, "strava")
    assert (report.status, report.new, report.failed) == ("ok", 14, [])
    asked = [c for c in fake_strava.api_calls() if c.endswith(f"/activities/{RIDE_ID}")]
    assert len(asked) == 2  # cut short once, asked again at once


def test_strava_always_cut_short_fails_that_item_only(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    _strava_tokens(tmp_path)
    fake_strava.faults[rf"/api/v3/activities/{RIDE_ID}"] = (200, Raw(b'{"id": 1', declared=5000))
    report = _sync(store, tmp_path, "strava")
    assert (report.status, report.new) == ("partial", 13)
    assert [label for label, _ in report.failed] == [f"activity {RIDE_ID}"]
    assert "ChunkedEncodingError" in report.failed[0][1]
    assert [i.item_id for i in store.retry_items("strava")] == [str(RIDE_ID)]


def test_strava_timeouts_are_retried_then_fail_the_item(
    fake_strava: FakeStrava, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _strava_tokens(tmp_path)
    monkeypatch.setattr(strava_client, "TIMEOUT_S", (1.0, 0.3))
    fake_strava.once(rf"/api/v3/activities/{RIDE_ID}", (200, Raw(b"{}", delay_s=1.0)))
    report = _sync(store, tmp_path, "strava")
    assert (report.status, report.new) == ("ok", 14)  # one slow answer: retried, fetched


def test_strava_429_on_listing_page_2_keeps_page_1_and_resumes_there(
    fake_strava: FakeStrava, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _strava_tokens(tmp_path)
    monkeypatch.setattr(strava_client, "PAGE_SIZE", 5)

    def page_2_limited(path: str, query: dict[str, list[str]]) -> tuple[int, object] | None:
        if path.endswith("/athlete/activities") and query.get("page") == ["2"]:
            return 429, {"message": "Rate Limit Exceeded"}
        return None

    fake_strava.hooks.append(page_2_limited)
    first = _sync(store, tmp_path, "strava")
    assert first.status == "partial" and first.resume_after is not None
    saved = store.sync_state("strava", strava_connector.LISTING)
    assert saved["next_page"] == 2 and len(saved["summaries"]) == 5
    fake_strava.hooks.clear()
    fake_strava.log.clear()
    second = _sync(store, tmp_path, "strava")
    assert (second.status, second.new) == ("ok", 14)
    pages = [c.split("page=")[1].split("&")[0] for c in fake_strava.api_calls("/athlete/")]
    assert pages == ["2", "3"]  # page 1 was not asked again
    assert store.sync_state("strava", strava_connector.LISTING) is None


def test_strava_item_failed_outside_the_look_back_is_retried(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    _strava_tokens(tmp_path)
    oldest = min(fake_strava.summaries, key=lambda s: s["start_date"])
    fake_strava.faults[rf"/api/v3/activities/{oldest['id']}"] = (502, {"message": "Bad Gateway"})
    assert _sync(store, tmp_path, "strava").status == "partial"
    newer = clone(fake_strava.summaries[0], 999_001, dt.datetime(2014, 6, 1, 8))
    fake_strava.add(newer)  # newest moves on: the look-back no longer reaches the failed one
    fake_strava.faults.clear()
    fake_strava.log.clear()
    again = _sync(store, tmp_path, "strava")
    assert (again.status, again.new, again.failed) == ("ok", 2, [])  # the new one, the failed one
    listing = fake_strava.api_calls("/athlete/activities")[0]
    after = int(listing.split("after=")[1].split("&")[0])
    oldest_start = strava_source.parse_time(oldest["start_date"]).replace(tzinfo=dt.UTC)
    assert after > oldest_start.timestamp()  # the listing no longer reaches it
    assert str(oldest["id"]) in _stored(store, "strava")


# -- sync_log ---------------------------------------------------------------------------


def test_every_sync_log_row_ends_and_stale_rows_are_closed(
    fake_strava: FakeStrava, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _strava_tokens(tmp_path)
    killed = store.start_sync_run("strava")  # what a kill -9 leaves behind
    monkeypatch.setattr(strava_connector, "_open_api", _boom)
    report = _sync(store, tmp_path, "strava")
    assert report.status == "failed" and "RuntimeError: surprise" in (report.message or "")
    monkeypatch.setattr(strava_connector, "_open_api", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        _sync(store, tmp_path, "strava")
    runs = store.sync_runs().sort("run_id")
    assert runs["status"].to_list() == ["interrupted", "failed", "interrupted"]
    assert runs["run_id"][0] == killed
    assert runs.filter(pl.col("finished_at").is_null()).height == 0


def _boom(*_args: object) -> None:
    raise RuntimeError("surprise")


def _interrupt(*_args: object) -> None:
    raise KeyboardInterrupt


def test_strava_down_after_the_listing_stops_after_three_activities_all_queued(
    fake_strava: FakeStrava, store: Store, tmp_path: Path
) -> None:
    _strava_tokens(tmp_path)
    fake_strava.faults[r"/api/v3/activities/\d+"] = (503, {"message": "unavailable"})
    report = _sync(store, tmp_path, "strava")
    assert report.status == "failed" and "503" in (report.message or "")
    assert len(report.failed) == 3 and store.activities().height == 0
    assert {i.item_id for i in store.retry_items("strava")} == {
        label.removeprefix("activity ") for label, _ in report.failed
    }
    fake_strava.faults.clear()
    assert (_sync(store, tmp_path, "strava").new, store.queued_items()) == (14, [])
