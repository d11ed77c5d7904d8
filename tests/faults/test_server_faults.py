"""Fake-server faults against the real stravalib and garminconnect clients: 5xx,
timeouts, cut-short and malformed bodies, 401 and 429 mid-run. Each run ends its
sync_log row without a traceback, forgets nothing that failed (it is queued, or
will be listed again), and once the fault is gone a rerun leaves the store
identical to a sync that never met it (data and analysis tables)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from terskel.config import GARMIN_TOKEN_DIR, STRAVA_TOKEN_FILE, Settings, SyncSettings
from terskel.jobs.analyze import analyze
from terskel.jobs.sync import SourceReport, SyncOptions, sync_source
from terskel.sources import strava as strava_source
from terskel.sources.strava import Tokens, save_tokens
from terskel.sources.strava import client as strava_client
from terskel.store import Store
from tests.faults.snapshot import differences, snapshot
from tests.garmin_fake import LATEST_LACTATE, FakeGarmin, demo_run, serve, zip_of
from tests.jobs.sync.fake_strava import RIDE_ID, FakeStrava, Raw
from tests.jobs.sync.fake_strava import fake_strava as fake_strava  # the fixture

Snapshot = dict[str, list[tuple[Any, ...]]]
_REFERENCE: dict[str, Snapshot] = {}  # source -> store of a sync without faults


@pytest.fixture
def fake_garmin(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGarmin]:
    """A fake Garmin Connect with three real runs."""
    with serve(monkeypatch) as fake:
        for index in range(3):
            fake.add_fit(demo_run(index))
        yield fake


def _run(db: Path, secrets: Path, source: str) -> SourceReport:
    """One sync of a source and the analysis after it, as `terskel sync` does."""
    options = SyncOptions(secrets_dir=secrets)
    with Store.open(db) as store:
        report = sync_source(store, Settings(sync=SyncSettings()), source, options, _quiet)
        analyze(store)
    return report


def _quiet(_label: str) -> None:
    pass


def _reference(tmp: Path, secrets: Path, source: str) -> Snapshot:
    if source not in _REFERENCE:
        db = tmp / f"reference-{source}.duckdb"
        assert _run(db, secrets, source).status == "ok"
        _REFERENCE[source] = snapshot(db)
    return _REFERENCE[source]


def _ended(db: Path) -> list[str]:
    with Store.open(db, read_only=True) as store:
        runs = store.sync_runs()
    assert runs["finished_at"].null_count() == 0
    return list(runs["status"])


def _queued(db: Path, source: str) -> set[str]:
    with Store.open(db, read_only=True) as store:
        return {item.item_id for item in store.retry_items(source, include_given_up=True)}


def _stored(db: Path, source: str) -> set[str]:
    with Store.open(db, read_only=True) as store:
        return store.source_ids(source)


# -- Strava -----------------------------------------------------------------------------


def _after_calls(count: int, reply: tuple[int, Any]) -> Callable[[str, dict[str, Any]], Any]:
    """A hook answering `reply` to every API request after the first `count`."""
    seen = [0]

    def hook(path: str, _query: dict[str, Any]) -> tuple[int, Any] | None:
        if not path.startswith("/api/v3/"):
            return None
        seen[0] += 1
        return reply if seen[0] > count else None

    return hook


def _one_activity(fake: FakeStrava, reply: tuple[int, Any]) -> None:
    fake.faults[rf"/api/v3/activities/{RIDE_ID}"] = reply


STRAVA_FAULTS: dict[str, Callable[[FakeStrava], None]] = {
    "502 on one detail": lambda f: _one_activity(f, (502, {"message": "Bad Gateway"})),
    "cut-short body": lambda f: _one_activity(f, (200, Raw(b'{"id": 1', declared=4000))),
    "timeout": lambda f: _one_activity(f, (200, Raw(b"{}", delay_s=0.6))),
    "not JSON": lambda f: _one_activity(f, (200, Raw(b"<html>oops</html>"))),
    "detail is a list": lambda f: _one_activity(f, (200, [{"id": RIDE_ID}])),
    "start_date null": lambda f: _one_activity(f, (200, {"id": RIDE_ID, "start_date": None})),
    "streams 500": lambda f: f.faults.update({rf"/api/v3/activities/{RIDE_ID}/streams": (500, {})}),
    "401 mid-run": lambda f: f.hooks.append(
        _after_calls(12, (401, {"message": "Authorization Error"}))
    ),
    "429 mid-run": lambda f: f.hooks.append(
        _after_calls(12, (429, {"message": "Rate Limit Exceeded"}))
    ),
    "503 on the listing": lambda f: f.faults.update({r"/api/v3/athlete/activities": (503, {})}),
}


# Each fault in the default run; the ones a connector test also covers only in the slow run.
SLOW_STRAVA = {
    "timeout",
    "detail is a list",
    "start_date null",
    "streams 500",
    "503 on the listing",
}
SLOW_GARMIN = {"download not a zip", "500 on the summary"}


def _cases(faults: dict[str, Any], slow: set[str]) -> list[Any]:
    return [pytest.param(f, marks=pytest.mark.slow) if f in slow else f for f in faults]


@pytest.mark.parametrize("fault", _cases(STRAVA_FAULTS, SLOW_STRAVA))
def test_strava_fault_then_rerun_ends_identical(
    fake_strava: FakeStrava, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    monkeypatch.setattr(strava_client, "TIMEOUT_S", (2.0, 0.3))
    save_tokens(
        tmp_path / STRAVA_TOKEN_FILE, Tokens("ACCESS_TOKEN", "REFRESH_TOKEN", 4_000_000_000)
    )
    expected = _reference(tmp_path, tmp_path, "strava")
    listed = {str(s["id"]) for s in fake_strava.summaries}
    db = tmp_path / "faulty.duckdb"
    STRAVA_FAULTS[fault](fake_strava)
    first = _run(db, tmp_path, "strava")
    assert first.status in ("partial", "failed", "auth"), fault
    assert all("Traceback" not in reason for _, reason in first.failed)
    assert _ended(db) == [first.status]
    missing = listed - _stored(db, "strava")
    assert missing, "the fault changed nothing"
    # nothing forgotten: a missing activity is queued, or newer than all stored (listed again)
    queued = _queued(db, "strava")
    with Store.open(db, read_only=True) as store:
        newest = store.newest_start("strava")
    by_id = {str(s["id"]): s for s in fake_strava.summaries}
    for activity_id in missing - queued:
        start = strava_source.parse_time(by_id[activity_id]["start_date"])
        assert newest is None or start >= newest, (fault, activity_id)
    fake_strava.faults.clear()
    fake_strava.hooks.clear()
    fake_strava.usage = [0, 0]
    assert _run(db, tmp_path, "strava").status == "ok"
    assert differences(snapshot(db), expected) == []
    assert _queued(db, "strava") == set()


# -- Garmin -----------------------------------------------------------------------------


def _download(fake: FakeGarmin, index: int) -> str:
    activity = sorted(fake.activities, key=lambda a: a.start_utc)[index]
    return f"/download-service/files/activity/{activity.activity_id}"


def _cut_short(fake: FakeGarmin) -> None:
    activity = sorted(fake.activities, key=lambda a: a.start_utc)[1]
    assert activity.fit is not None
    third = activity.fit[: len(activity.fit) // 3]
    activity.download = zip_of(f"{activity.activity_id}_ACTIVITY.fit", third)


GARMIN_FAULTS: dict[str, Callable[[FakeGarmin], None]] = {
    "502 on one download": lambda f: f.fail.update({_download(f, 1): 502}),
    "zip holding a third of the FIT": _cut_short,
    "download not a zip": lambda f: setattr(
        sorted(f.activities, key=lambda a: a.start_utc)[1], "download", b"<html>502</html>"
    ),
    "429 mid-run": lambda f: f.fail.update({_download(f, 1): 429}),
    "500 on the summary": lambda f: f.fail.update(
        {re.sub("download-service/files", "activity-service", _download(f, 0)): 500}
    ),
}


@pytest.mark.parametrize("fault", _cases(GARMIN_FAULTS, SLOW_GARMIN))
def test_garmin_fault_then_rerun_ends_identical(
    fake_garmin: FakeGarmin, tmp_path: Path, fault: str
) -> None:
    fake_garmin.token_file(tmp_path / GARMIN_TOKEN_DIR)
    expected = _reference(tmp_path, tmp_path, "garmin")
    downloads = {a.activity_id: a.download for a in fake_garmin.activities}
    db = tmp_path / "faulty.duckdb"
    GARMIN_FAULTS[fault](fake_garmin)
    first = _run(db, tmp_path, "garmin")
    assert first.status == "partial" and _ended(db) == ["partial"]
    listed = {str(a.activity_id) for a in fake_garmin.activities}
    missing = listed - _stored(db, "garmin")
    assert missing
    if "429" not in fault:  # a 429 stops the run: the rest is listed again
        assert missing <= _queued(db, "garmin")
    fake_garmin.fail.clear()
    for activity in fake_garmin.activities:
        activity.download = downloads[activity.activity_id]
    assert _run(db, tmp_path, "garmin").status == "ok"
    assert differences(snapshot(db), expected) == []
    assert _queued(db, "garmin") == set()


def test_garmin_thresholds_that_change_later_re_zone_the_analysed_runs(
    fake_garmin: FakeGarmin, tmp_path: Path
) -> None:
    fake_garmin.token_file(tmp_path / GARMIN_TOKEN_DIR)
    fake_garmin.lactate = LATEST_LACTATE
    expected = snapshot_of_fresh_sync(tmp_path, "expected")
    fake_garmin.lactate = None
    db = tmp_path / "later.duckdb"
    assert _run(db, tmp_path, "garmin").status == "ok"
    before = differences(snapshot(db), expected)
    assert any(d.startswith("zone_time") for d in before)  # zoned without the lactate threshold
    fake_garmin.lactate = LATEST_LACTATE
    assert _run(db, tmp_path, "garmin").status == "ok"
    # the zone-settings lt2_hr of the first sync stays in the history: all else is the same
    after = differences(snapshot(db), expected)
    assert [d.split(":")[0] for d in after] == ["athlete_thresholds"]


def snapshot_of_fresh_sync(tmp: Path, name: str) -> Snapshot:
    db = tmp / f"{name}.duckdb"
    assert _run(db, tmp, "garmin").status == "ok"
    return snapshot(db)
