"""kill -9 after each kind of commit of `terskel sync` (Garmin and Strava against the fake
servers, then the analysis), in a real forked process: the next syncs leave the store
identical to syncs never killed, and the item that failed is never forgotten."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from terskel.config import GARMIN_TOKEN_DIR, STRAVA_TOKEN_FILE
from terskel.sources.strava import Tokens, save_tokens
from terskel.store import Store
from terskel.store.faults import KILL_ENV, LOG_ENV, SLOW_ENV, SLOW_READY_ENV
from tests.faults.conftest import Zygote, same_as_its_neighbours
from tests.faults.snapshot import Snapshot, differences, snapshot
from tests.garmin_fake import FakeGarmin, demo_run, serve
from tests.jobs.sync.fake_strava import FakeStrava, Raw
from tests.jobs.sync.fake_strava import fake_strava as fake_strava  # the fixture

KILLED = -signal.SIGKILL
# Kill point of the default run: right after the failed download is queued. The slow
# test kills after every distinct commit in turn (between two saved activities too).
POINTS = ["item_failed"]
_REFERENCE: dict[str, Any] = {}


@pytest.fixture
def fake_garmin(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGarmin]:
    """A fake Garmin Connect with three real runs."""
    with serve(monkeypatch) as fake:
        for index in range(3):
            fake.add_fit(demo_run(index))
        yield fake


class Scene:
    """Both fakes, one folder of tokens and config, and how to run `terskel sync` there."""

    def __init__(self, zygote: Zygote, garmin: FakeGarmin, strava: FakeStrava, folder: Path):
        self.zygote, self.garmin, self.strava, self.folder = zygote, garmin, strava, folder
        (folder / "config.toml").touch()
        garmin.token_file(folder / GARMIN_TOKEN_DIR)
        save_tokens(folder / STRAVA_TOKEN_FILE, Tokens("ACCESS_TOKEN", "REFRESH_TOKEN", 4 * 10**9))
        self.failing = f"/download-service/files/activity/{garmin.activities[1].activity_id}"
        self.runs = 0

    def env(self) -> dict[str, str]:
        proxy = "http://127.0.0.1:9"  # nothing leaves this machine
        return {
            "FAKE_STRAVA_PORT": str(self.strava.port),
            "FAKE_GARMIN": self.garmin.base,
            "HTTP_PROXY": proxy,
            "HTTPS_PROXY": proxy,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }

    def sync(self, db: Path, extra: dict[str, str] | None = None) -> int:
        self.runs += 1
        args = ["--db", str(db), "--config", str(self.folder / "config.toml"), "sync"]
        args += ["--source", "garmin", "--source", "strava"]
        output = self.folder / f"run{self.runs}.txt"
        return self.zygote.run(args, {**self.env(), **(extra or {})}, output)

    def output(self) -> str:
        return (self.folder / f"run{self.runs}.txt").read_text()


@pytest.fixture
def scene(
    zygote: Zygote, fake_garmin: FakeGarmin, fake_strava: FakeStrava, tmp_path: Path
) -> Scene:
    return Scene(zygote, fake_garmin, fake_strava, tmp_path)


def _reference(scene: Scene) -> tuple[Snapshot, list[str]]:
    """Syncs never killed: one with the failing download (exit 1), one after it healed."""
    if not _REFERENCE:
        db = scene.folder / "reference.duckdb"
        log = scene.folder / "commits.log"
        scene.garmin.fail[scene.failing] = 502
        assert scene.sync(db, {LOG_ENV: str(log)}) == 1, scene.output()
        del scene.garmin.fail[scene.failing]
        assert scene.sync(db) == 0, scene.output()
        _REFERENCE["snapshot"] = snapshot(db)
        _REFERENCE["labels"] = log.read_text().split()
    return _REFERENCE["snapshot"], _REFERENCE["labels"]


def _killed_then_healed(scene: Scene, point: str) -> Snapshot:
    db = scene.folder / "killed.duckdb"
    failing_id = scene.failing.rsplit("/", 1)[-1]
    scene.garmin.fail[scene.failing] = 502
    assert scene.sync(db, {KILL_ENV: point}) == KILLED, scene.output()
    assert scene.sync(db) == 1, scene.output()  # the download still fails: exit 1
    with Store.open(db, read_only=True) as store:
        runs = store.sync_runs()
        queued = {i.item_id for i in store.retry_items("garmin")}
        stored = store.source_ids("garmin")
    assert "running" not in set(runs["status"]) and runs["finished_at"].null_count() == 0
    assert failing_id in queued and failing_id not in stored  # not forgotten
    del scene.garmin.fail[scene.failing]
    assert scene.sync(db) == 0, scene.output()
    return snapshot(db)


@pytest.mark.parametrize("point", POINTS)
def test_sync_killed_after_a_commit_heals(scene: Scene, point: str) -> None:
    expected, labels = _reference(scene)
    assert point.split("#")[0] in labels, labels
    assert differences(_killed_then_healed(scene, point), expected) == []


@pytest.mark.slow
@pytest.mark.parametrize("nth", range(1, 45))
def test_sync_killed_after_any_commit_heals(scene: Scene, nth: int) -> None:
    expected, labels = _reference(scene)
    if nth > len(labels):
        pytest.skip(f"the sync makes {len(labels)} commits")
    if same_as_its_neighbours(labels, nth):  # 37 commits, 21 distinct kill points
        pytest.skip(f"commit {nth} ({labels[nth - 1]}) is covered by its run's first, middle, last")
    assert differences(_killed_then_healed(scene, str(nth)), expected) == []


def test_sigterm_ends_the_run_row_interrupted_and_the_next_sync_finishes(scene: Scene) -> None:
    db = scene.folder / "termed.duckdb"
    oldest = str(min(scene.strava.summaries, key=lambda s: s["start_date"])["id"])
    waiting = threading.Event()

    def slow(path: str, _query: dict[str, list[str]]) -> tuple[int, Any] | None:
        if path != f"/api/v3/activities/{oldest}" or waiting.is_set():
            return None
        waiting.set()  # the sync is now waiting for this answer
        return 200, Raw(b"{}", delay_s=20.0)

    scene.strava.hooks.append(slow)
    args = ["--db", str(db), "--config", str(scene.folder / "config.toml"), "sync"]
    output = scene.folder / "termed.txt"
    pid = scene.zygote.start([*args, "--source", "strava"], scene.env(), output)
    assert waiting.wait(120), "the sync never asked for the slow activity"
    os.kill(pid, signal.SIGTERM)
    assert scene.zygote.finish() == 143, output.read_text()
    assert "terminated (SIGTERM)" in output.read_text()
    assert "Traceback" not in output.read_text()
    with Store.open(db, read_only=True) as store:
        assert store.sync_runs()["status"].to_list() == ["interrupted"]
    assert scene.zygote.run([*args, "--source", "strava"], scene.env(), output) == 0
    with Store.open(db, read_only=True) as store:
        assert store.sync_runs()["status"].to_list() == ["ok", "interrupted"]
        assert len(store.source_ids("strava")) == 14


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_in_a_duckdb_write_stops_the_sync_and_loses_nothing(
    scene: Scene, signum: int
) -> None:
    # DuckDB turns the signal's KeyboardInterrupt into RuntimeError("Query interrupted"):
    # the sync took it for the source's failure and went on to Garmin and the analysis, and
    # exited 1 with the Strava row `failed`
    db, ready = scene.folder / "termed.duckdb", scene.folder / "in-the-query"
    held = {SLOW_ENV: "save_uploads#3", SLOW_READY_ENV: str(ready)}  # Strava's third run
    args = ["--db", str(db), "--config", str(scene.folder / "config.toml"), "sync"]
    args += ["--source", "strava", "--source", "garmin"]
    output = scene.folder / "termed.txt"
    pid = scene.zygote.start(args, {**scene.env(), **held}, output)
    deadline = time.monotonic() + 120
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready.exists(), "the sync never reached the held commit"
    time.sleep(0.3)  # well inside the query
    os.kill(pid, signum)
    code, said = (143, "terminated (SIGTERM)") if signum == signal.SIGTERM else (130, "interrupted")
    assert scene.zygote.finish() == code, output.read_text()
    assert said in output.read_text() and "Traceback" not in output.read_text()
    with Store.open(db, read_only=True) as store:
        assert store.sync_runs()["status"].to_list() == ["interrupted"]  # Garmin never began
        assert len(store.source_ids("strava")) == 2  # the two saved before stay
    assert scene.zygote.run(args, scene.env(), output) == 0, output.read_text()
    with Store.open(db, read_only=True) as store:
        assert store.sync_runs()["status"].to_list() == ["ok", "ok", "interrupted"]
        assert len(store.source_ids("strava")) == 14
        assert len(store.source_ids("garmin")) == 3
