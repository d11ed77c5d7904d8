"""`terskel sync --source garmin` end to end: fake Garmin Connect, real client, real store."""

from __future__ import annotations

import datetime as dt
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from terskel.cli import app
from terskel.config import GARMIN_TOKEN_DIR, Settings
from terskel.jobs.ingest import import_paths
from terskel.jobs.sync import AuthRequired, SourceReport, SyncOptions, sync_source
from terskel.jobs.sync import garmin as connector
from terskel.sources import garmin
from terskel.store import Store
from tests.garmin_fake import (
    LATEST_LACTATE,
    MFA_CODE,
    PASSWORD,
    FakeGarmin,
    demo_run,
    serve,
    zip_of,
)

runner = CliRunner()


@pytest.fixture
def fake_garmin(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGarmin]:
    """A fake Garmin Connect on 127.0.0.1 that every new client talks to."""
    with serve(monkeypatch) as fake:
        yield fake


def _options(tmp_path: Path, full: bool = False) -> SyncOptions:
    return SyncOptions(full=full, secrets_dir=tmp_path)


def _sync(store: Store, tmp_path: Path, full: bool = False) -> SourceReport:
    return connector.sync(store, Settings(), _options(tmp_path, full), lambda _label: None)


def _signed_in(fake: FakeGarmin, tmp_path: Path, runs: int = 3) -> None:
    for index in range(runs):
        fake.add_fit(demo_run(index))
    fake.token_file(tmp_path / GARMIN_TOKEN_DIR)


def test_sync_saves_summary_original_fit_and_thresholds(
    fake_garmin: FakeGarmin, store: Store, tmp_path: Path
) -> None:
    _signed_in(fake_garmin, tmp_path)
    fake_garmin.lactate = LATEST_LACTATE
    report = _sync(store, tmp_path)
    assert (report.status, report.new, report.updated, report.failed) == ("ok", 3, 0, [])
    rows = store.con.execute(
        "SELECT source_id, raw_json FROM activity_sources "
        "WHERE source = 'garmin' ORDER BY source_id"
    ).fetchall()
    ids = sorted(str(a.activity_id) for a in fake_garmin.activities)
    assert [row[0] for row in rows] == ids
    raw = json.loads(rows[0][1])
    assert raw["activityId"] == int(ids[0]) and "summaryDTO" in raw  # the summary, kept as sent
    assert store.table_counts()["raw_files"] == 3  # the FIT bytes, for a later local import
    assert store.table_counts()["samples"] > 1000
    # the synced FIT files' own watch settings are kept too, as source `device`
    assert set(store.thresholds()["source"]) <= {"garmin", "device"}
    thresholds = store.thresholds().filter(source="garmin")
    values = dict(zip(thresholds["marker"], thresholds["value"], strict=True))
    assert values == {
        "lt2_hr": 168,
        "max_hr": 185,
        "resting_hr": 42,
        "threshold_speed_mps": 3.2,
    }
    assert len(fake_garmin.paths("/download-service")) == 3


def test_second_sync_is_incremental_and_adds_no_duplicate_thresholds(
    fake_garmin: FakeGarmin, store: Store, tmp_path: Path
) -> None:
    _signed_in(fake_garmin, tmp_path)
    _sync(store, tmp_path)
    newest = max(a.start_utc for a in fake_garmin.activities)
    fake_garmin.requests.clear()
    report = _sync(store, tmp_path)
    assert (report.status, report.new, report.updated) == ("ok", 0, 0)
    query = fake_garmin.paths("/activitylist-service")[0][1]
    assert query["startDate"] == [f"{(newest - dt.timedelta(days=7)).date()}"]
    assert fake_garmin.paths("/download-service") == []  # nothing fetched twice
    garmin = store.thresholds().filter(source="garmin")
    assert garmin.height == 3  # zone settings unchanged: no new rows


def test_new_activity_upstream_is_picked_up(
    fake_garmin: FakeGarmin, store: Store, tmp_path: Path
) -> None:
    _signed_in(fake_garmin, tmp_path, runs=2)
    _sync(store, tmp_path)
    fake_garmin.add_fit(demo_run(3))
    report = _sync(store, tmp_path, full=True)
    assert (report.new, report.deleted) == (1, 0)


def test_full_sync_marks_activities_deleted_upstream(
    fake_garmin: FakeGarmin, store: Store, tmp_path: Path
) -> None:
    _signed_in(fake_garmin, tmp_path)
    _sync(store, tmp_path)
    fake_garmin.activities.pop(0)
    assert _sync(store, tmp_path).deleted == 0  # incremental runs never delete
    report = _sync(store, tmp_path, full=True)
    assert report.deleted == 1
    assert store.activities().height == 2


def test_garmin_then_local_fit_is_one_activity(
    fake_garmin: FakeGarmin, store: Store, tmp_path: Path
) -> None:
    _signed_in(fake_garmin, tmp_path, runs=1)
    _sync(store, tmp_path)
    summary = import_paths(store, [demo_run(0)], workers=1)
    assert (summary.imported, summary.present) == (0, 1)
    assert store.activities().height == 1


def test_local_fit_then_garmin_links_to_the_same_activity(
    fake_garmin: FakeGarmin, store: Store, tmp_path: Path
) -> None:
    import_paths(store, [demo_run(0)], workers=1)
    _signed_in(fake_garmin, tmp_path, runs=1)
    report = _sync(store, tmp_path)
    assert (report.new, report.updated) == (0, 1)
    activities = store.activities()
    assert activities.height == 1
    assert activities["sources"][0] == "fit,garmin"


def test_corrupt_downloads_are_logged_and_the_sync_goes_on(
    fake_garmin: FakeGarmin, store: Store, tmp_path: Path
) -> None:
    _signed_in(fake_garmin, tmp_path, runs=4)
    not_zip, bad_fit, missing = fake_garmin.activities[:3]
    not_zip.download = b"<html>502 Bad Gateway</html>"
    bad_fit.download = zip_of(f"{bad_fit.activity_id}_ACTIVITY.fit", b"\x0e\x10garbage" * 10)
    fake_garmin.fail[f"/download-service/files/activity/{missing.activity_id}"] = 500
    report = _sync(store, tmp_path)
    assert report.status == "partial" and report.new == 1
    failed = dict(report.failed)
    assert set(failed) == {f"garmin:{a.activity_id}" for a in (not_zip, bad_fit, missing)}
    assert "not a zip" in failed[f"garmin:{not_zip.activity_id}"]
    assert "not a FIT file" in failed[f"garmin:{bad_fit.activity_id}"]
    assert "500" in failed[f"garmin:{missing.activity_id}"]
    log = store.import_log().filter(pl.col("status") == "failed")
    assert sorted(log["path"]) == sorted(failed)
    assert not any("\n" in reason for reason in failed.values())


def test_activities_without_a_fit_are_skipped_once_not_failed(
    fake_garmin: FakeGarmin, store: Store, tmp_path: Path
) -> None:
    _signed_in(fake_garmin, tmp_path, runs=3)
    gpx, manual, _run = fake_garmin.activities
    gpx.download = zip_of("track.gpx", b"<gpx/>")
    manual.manual = True
    report = _sync(store, tmp_path)
    assert (report.status, report.new, report.failed) == ("ok", 1, [])
    skipped = store.import_log().filter(pl.col("status") == "skipped")
    assert sorted(skipped["path"]) == sorted(f"garmin:{a.activity_id}" for a in (gpx, manual))
    assert any("track.gpx" in message for message in skipped["message"])
    downloads = [path for path, _q in fake_garmin.paths("/download-service")]
    assert f"/download-service/files/activity/{manual.activity_id}" not in downloads
    fake_garmin.requests.clear()
    again = _sync(store, tmp_path, full=True)
    assert (again.status, again.new, again.deleted) == ("ok", 0, 0)
    assert fake_garmin.paths("/download-service") == []  # not fetched again
    assert store.import_log().filter(pl.col("status") == "skipped").height == 2


def test_429_stops_keeps_what_was_fetched_and_resumes(
    fake_garmin: FakeGarmin, store: Store, tmp_path: Path
) -> None:
    _signed_in(fake_garmin, tmp_path, runs=4)
    third = sorted(fake_garmin.activities, key=lambda a: a.start_utc)[2]
    fake_garmin.fail[f"/download-service/files/activity/{third.activity_id}"] = 429
    report = _sync(store, tmp_path)
    assert (report.status, report.new) == ("partial", 2)
    assert report.message and "429" in report.message
    assert store.activities().height == 2
    asked = [path for _method, path, _query in fake_garmin.requests]
    last = max(i for i, path in enumerate(asked) if path.startswith("/download-service"))
    assert asked[last].endswith(str(third.activity_id))  # stopped: nothing more was asked
    assert all(not path.startswith("/biometric-service") for path in asked[last:])
    del fake_garmin.fail[f"/download-service/files/activity/{third.activity_id}"]
    again = _sync(store, tmp_path)
    assert (again.status, again.new) == ("ok", 2)


def test_missing_or_dead_tokens_need_auth_never_a_prompt(
    fake_garmin: FakeGarmin, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(AuthRequired, match="terskel auth garmin"):
        _sync(store, tmp_path)
    report = sync_source(store, Settings(), "garmin", _options(tmp_path), lambda _label: None)
    assert report.status == "auth"
    monkeypatch.setattr("garminconnect.time.sleep", lambda _s: None)
    fake_garmin.token_file(tmp_path / GARMIN_TOKEN_DIR, lifetime_s=-60)
    fake_garmin.refresh_works = False
    with pytest.raises(AuthRequired, match="no longer works"):
        _sync(store, tmp_path)
    assert not fake_garmin.paths("/mobile/api/login")


def test_refreshed_tokens_are_kept_after_a_sync(
    fake_garmin: FakeGarmin, store: Store, tmp_path: Path
) -> None:
    _signed_in(fake_garmin, tmp_path, runs=1)
    path = fake_garmin.token_file(tmp_path / GARMIN_TOKEN_DIR, lifetime_s=60)  # due for refresh
    _sync(store, tmp_path)
    assert json.loads(path.read_text())["di_token"] == fake_garmin.access
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_changed_thresholds_only() -> None:
    day = dt.date(2025, 5, 1)
    stored = pl.DataFrame(
        {
            "source": ["garmin", "garmin", "config"],
            "marker": ["max_hr", "lt2_hr", "resting_hr"],
            "value": [185.0, 168.0, 40.0],
            "effective_from": [day, day, day],
        }
    )
    rows = [
        {"marker": "max_hr", "value": 185.0, "effective_from": day + dt.timedelta(days=30)},
        {"marker": "lt2_hr", "value": 170.0, "effective_from": day + dt.timedelta(days=30)},
        {"marker": "resting_hr", "value": 40.0, "effective_from": day + dt.timedelta(days=30)},
    ]
    fresh = connector.changed_thresholds(rows, stored)
    assert [row["marker"] for row in fresh] == ["lt2_hr", "resting_hr"]


# -- command line --------------------------------------------------------------------------


def _cli(tmp_path: Path, *args: str, input: str | None = None) -> Result:
    config = tmp_path / "config.toml"
    config.touch()
    db = tmp_path / "store.duckdb"
    return runner.invoke(app, ["--config", str(config), "--db", str(db), *args], input=input)


def test_cli_sync_exit_codes(fake_garmin: FakeGarmin, tmp_path: Path) -> None:
    result = _cli(tmp_path, "sync", "--source", "garmin")
    assert result.exit_code == 3
    assert "terskel auth garmin" in result.output
    _signed_in(fake_garmin, tmp_path, runs=2)
    fake_garmin.activities[0].download = b"not a zip"
    result = _cli(tmp_path, "sync", "--source", "garmin")
    assert result.exit_code == 1, result.output
    assert "garmin: 1 new, 0 updated, 1 failed" in result.output
    assert "Traceback" not in result.output


def test_cli_auth_refuses_without_a_terminal(tmp_path: Path) -> None:
    result = _cli(tmp_path, "auth", "garmin", input="runner@example.com\n")
    assert result.exit_code == 2
    assert "run it in a terminal" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_cli_auth_prompts_and_saves_private_tokens(
    fake_garmin: FakeGarmin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("terskel.cli.garmin._stdin_is_tty", lambda: True)
    fake_garmin.mfa_users.add("runner@example.com")
    answers = f"runner@example.com\n{PASSWORD}\n{MFA_CODE}\n"
    result = _cli(tmp_path, "auth", "garmin", input=answers)
    assert result.exit_code == 0, result.output
    token_dir = tmp_path / GARMIN_TOKEN_DIR
    token_file = token_dir / garmin.TOKEN_FILE
    assert stat.S_IMODE(token_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert PASSWORD not in token_file.read_text()
    wrong = _cli(tmp_path, "auth", "garmin", input="runner@example.com\nnope\n")
    assert wrong.exit_code == 3
    assert "Invalid Username or Password" in wrong.output


def test_changed_thresholds_drop_the_zones_they_change() -> None:
    day = dt.date(2025, 5, 1)
    stored = pl.DataFrame(
        {
            "source": ["garmin", "garmin"],
            "marker": ["max_hr", "max_hr"],
            "value": [185.0, 186.0],
            "effective_from": [day, day + dt.timedelta(days=30)],
        }
    )
    later = {"marker": "max_hr", "value": 190.0, "effective_from": day + dt.timedelta(days=10)}
    earliest = {"marker": "lt2_hr", "value": 168.0, "effective_from": day}
    assert connector.affected_dates([later, earliest], stored) == [
        (later["effective_from"], day + dt.timedelta(days=30)),  # until the next max_hr
        (None, None),  # the first lt2_hr holds for every run
    ]
