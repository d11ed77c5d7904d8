"""The store: schema, idempotent import, dedupe across devices, interrupted imports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import fitparse
import pytest

from terskel.jobs.ingest import import_paths
from terskel.store import Store, StoreError
from terskel.store.schema import latest_version
from tests.conftest import DEMO_DATA, TEST_DATA, shared_path

CORE_TABLES = {"activities", "activity_sources", "laps", "samples", "import_log", "raw_files"}


def test_new_store_has_schema_and_athlete_id_everywhere(store: Store) -> None:
    assert store.schema_version() == latest_version()
    tables = {
        name: {
            c
            for (c,) in store.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [name]
            ).fetchall()
        }
        for (name,) in store.con.execute(
            "SELECT table_name FROM information_schema.tables"
        ).fetchall()
        if name != "schema_version"
    }
    assert set(tables) >= CORE_TABLES
    assert all("athlete_id" in columns for columns in tables.values())


def test_reopening_does_not_migrate_twice(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    with Store.open(path) as store:
        row = store.con.execute("SELECT count(*) FROM schema_version").fetchall()[0]
        assert row == (latest_version(),)


def test_read_only_open_of_a_missing_store_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store here yet"):
        Store.open(tmp_path / "missing.duckdb", read_only=True)


def test_reimport_is_a_no_op(store: Store) -> None:
    first = import_paths(store, [DEMO_DATA], workers=1)
    counts = store.table_counts()
    again = import_paths(store, [DEMO_DATA], workers=1)
    assert first.imported == 5 and again.imported == 0 and again.present == 5
    assert store.table_counts() == counts


def test_samples_are_stored_as_recorded(store: Store) -> None:
    path = DEMO_DATA / "workoutizer__with_nones.fit"
    import_paths(store, [path], workers=1)
    (activity_id,) = store.activities()["activity_id"]
    samples = store.samples([activity_id]).collect()
    # fitparse, an independent decoder, reads the same record messages
    records = [m.get_values() for m in fitparse.FitFile(str(path)).get_messages("record")]
    [(sample_count,)] = store.con.execute("SELECT sample_count FROM activities").fetchall()
    assert samples.height == sample_count == len(records) == 427
    assert samples["t"].to_list() == [r["timestamp"] for r in records]  # never resampled
    assert samples["heart_rate"].to_list() == [r["heart_rate"] for r in records]
    assert samples["distance_m"].to_list() == pytest.approx([r["distance"] for r in records])
    speeds = [r["enhanced_speed"] for r in records]  # scaled by 1000: decoders round apart
    assert samples["speed_mps"].to_list() == pytest.approx(speeds, abs=0.0011)
    semicircle = 180 / 2**31
    assert samples["lat"].to_list() == pytest.approx(
        [r["position_lat"] * semicircle for r in records]
    )
    # a read of some columns is the same rows of just those columns, in order
    some = store.samples([activity_id], ("activity_id", "t", "heart_rate")).collect()
    assert some.columns == ["activity_id", "t", "heart_rate"]
    assert some.equals(samples.select(some.columns))


def test_multisport_file_becomes_one_activity_per_sport(store: Store) -> None:
    summary = import_paths(store, [TEST_DATA / "fitparse__sample_mulitple_header.fit"], workers=1)
    assert summary.imported == 5
    sports = store.activities().sort("start_utc")["sport"].to_list()
    assert sports == ["swimming", "transition", "cycling", "transition", "running"]


def test_one_run_on_two_watches_is_one_activity(store: Store) -> None:
    forerunner = shared_path("fit/running/runalyze__FR735XT-with-performance-condition.fit")
    fenix = shared_path("fit/running/runalyze__Fenix-3-with-runscribe-v1-38.fit")
    summary = import_paths(store, [forerunner, fenix], workers=1)
    assert (summary.imported, summary.linked) == (1, 1)
    activities = store.activities()
    assert activities.height == 1 and activities["recordings"][0] == 2
    # the denser stream (the Fenix records every second) is the one kept
    sources = store.con.execute(
        "SELECT original_path, sample_count FROM activity_sources ORDER BY stream_quality DESC"
    ).fetchall()
    assert activities["sample_count"][0] == sources[0][1]
    assert "Fenix" in sources[0][0]


def test_the_two_watch_pair_is_found_among_all_running_files(store: Store) -> None:
    running = shared_path("fit/running")
    import_paths(store, [running], workers=2)
    linked = store.con.execute(
        "SELECT list(original_path ORDER BY original_path) FROM activity_sources "
        "GROUP BY activity_id HAVING count(*) > 1"
    ).fetchall()
    names = [sorted(Path(p).name for p in paths) for (paths,) in linked]
    assert names == [
        [
            "runalyze__FR735XT-with-performance-condition.fit",
            "runalyze__Fenix-3-with-runscribe-v1-38.fit",
        ]
    ]


def test_every_edge_case_imports_or_fails_with_a_reason(store: Store) -> None:
    edge = shared_path("fit/edge_cases")
    summary = import_paths(store, [edge], workers=1)
    files = len(list(edge.glob("*.fit")))
    handled = summary.imported + summary.linked + len(summary.skipped) + len(summary.failed)
    assert handled + summary.present >= files
    for label, reason in summary.failed + summary.skipped:
        assert reason and "\n" not in reason and "Traceback" not in reason, label
    logged = store.con.execute(
        "SELECT count(*) FROM import_log WHERE status IN ('failed', 'skipped')"
    ).fetchall()[0]
    assert logged == (len(summary.failed) + len(summary.skipped),)


def _consistent(db: Path) -> tuple[int, int]:
    """Check that no half activity exists; return (activities, source files)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        orphans = con.execute(
            "SELECT count(*) FROM activities a WHERE sample_count <> "
            "(SELECT count(*) FROM samples s WHERE s.activity_id = a.activity_id) "
            "OR NOT EXISTS (SELECT 1 FROM activity_sources s WHERE s.activity_id = a.activity_id)"
        ).fetchall()[0]
        unlinked = con.execute(
            "SELECT count(*) FROM activity_sources s WHERE NOT EXISTS "
            "(SELECT 1 FROM raw_files r WHERE r.sha256 = s.file_sha256)"
        ).fetchall()[0]
        assert orphans == (0,) and unlinked == (0,)
        [(activities, with_source, dangling)] = con.execute(
            "SELECT (SELECT count(*) FROM activities), "
            "(SELECT count(DISTINCT activity_id) FROM activity_sources), "
            "(SELECT count(*) FROM activity_sources s WHERE NOT EXISTS "
            " (SELECT 1 FROM activities a WHERE a.activity_id = s.activity_id))"
        ).fetchall()
        # every activity has a recording and every recording its activity
        assert activities == with_source and dangling == 0
        [(files, recorded)] = con.execute(
            "SELECT (SELECT count(*) FROM raw_files), "
            "(SELECT count(DISTINCT file_sha256) FROM activity_sources)"
        ).fetchall()
        assert files == recorded  # no stored file without the recordings it gave
        return int(activities), int(files)
    finally:
        con.close()


def _wait_for_first_commit(db: Path, proc: subprocess.Popen[bytes]) -> None:
    """Wait until the import has written something (the WAL grows), at most 60 s."""
    wal = db.with_name(db.name + ".wal")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        written = sum(p.stat().st_size for p in (db, wal) if p.exists())
        if written > 3_000_000:
            return
        time.sleep(0.05)


def test_killed_import_leaves_a_consistent_store_and_rerun_finishes(tmp_path: Path) -> None:
    history = shared_path("history/coros-road-runner")
    db = tmp_path / "killed.duckdb"
    command = [sys.executable, "-m", "terskel", "--db", str(db), "import", "--workers", "1"]
    proc = subprocess.Popen(
        [*command, str(history)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_for_first_commit(db, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "import finished before it could be killed"
    partial_activities, partial_files = _consistent(db)
    # killed mid-import: whatever was committed is whole, the rest is absent
    assert partial_files < len(list(history.glob("*.fit"))), "import finished before the kill"
    done = subprocess.run([*command, str(history)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    activities, files = _consistent(db)
    assert files == len(list(history.glob("*.fit"))) and files > partial_files
    assert activities >= partial_activities
    _analysed_whole(db)


def _analysed_whole(db: Path) -> None:
    """Every run has each analysis stage (structure, best efforts, type), every activity a type."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        runs = "SELECT activity_id FROM activities WHERE sport = 'running' AND sample_count > 0"
        counts = {
            table: con.execute(
                f"SELECT count(*) FROM ({runs}) r WHERE r.activity_id IN "
                f"(SELECT activity_id FROM {table})"
            ).fetchall()[0][0]
            for table in ("structures", "activity_peaks", "sessions")
        }
        (total,) = con.execute(f"SELECT count(*) FROM ({runs})").fetchall()[0]
        untyped = con.execute(
            "SELECT count(*) FROM activities a WHERE NOT EXISTS "
            "(SELECT 1 FROM sessions s WHERE s.activity_id = a.activity_id)"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert total > 0
    assert counts == {"structures": total, "activity_peaks": total, "sessions": total}
    assert untyped == 0


def test_a_store_where_nothing_can_be_written_is_a_store_error(tmp_path: Path) -> None:
    # a file where the store's folder should be, and a lock file that cannot be opened
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot write the store here"):
        Store.open(tmp_path / "file" / "s.duckdb")
    (tmp_path / "s.duckdb.lock").mkdir()
    with pytest.raises(StoreError, match="cannot write the store here"):
        Store.open(tmp_path / "s.duckdb")
