"""The analysis of a store does not depend on its earlier state or on the import order."""

from __future__ import annotations

from pathlib import Path

import pytest

from terskel.jobs import analyze as analyze_job
from terskel.jobs.analyze import analyze
from terskel.jobs.ingest import import_paths
from terskel.store import Store
from tests.conftest import shared_path
from tests.faults.snapshot import ANALYSIS_TABLES, differences, snapshot

TABLES = ("zone_time", "sessions", "activity_peaks")


def _files() -> list[Path]:
    folder = shared_path("history/coros-road-runner")
    return sorted(folder.glob("*.fit"))[:24]


def _imported_and_analysed(db: Path, files: list[Path]) -> None:
    with Store.open(db) as store:
        for path in files:  # one import per file: the ids follow this order
            import_paths(store, [path], workers=1)
        analyze(store)


def _rebuilt(db: Path) -> None:
    with Store.open(db) as store:
        analyze(store, rebuild=True)


def test_fresh_rebuild_and_import_order_give_the_same_zones_and_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analyze_job, "CHUNK", 5)  # 24 runs span five chunks
    files = _files()
    db = tmp_path / "fresh.duckdb"
    _imported_and_analysed(db, files)
    fresh = snapshot(db, TABLES)
    _rebuilt(db)  # the same store analysed again from scratch
    rebuilt = snapshot(db, TABLES)
    _imported_and_analysed(tmp_path / "reordered.duckdb", files[::-1])
    reordered = snapshot(tmp_path / "reordered.duckdb", TABLES)
    assert len(fresh["zone_time"]) > 1000 and len(fresh["sessions"]) == len(files)
    for table in TABLES:
        assert fresh[table] == rebuilt[table], table
    # outing_id names the outing's earliest file, whatever order the files came in
    assert sum(1 for row in fresh["sessions"] if row[-1] != row[-2]) >= 1  # a 2-file outing
    for table in TABLES:
        assert fresh[table] == reordered[table], table


def test_pipelined_chunks_give_what_one_chunk_in_process_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each chunk's model runs in the pool while the last chunk is saved (see analyze):
    the stored analysis is that of one chunk modelled in this process."""
    from terskel.analysis import intervals

    files = _files()
    db = tmp_path / "store.duckdb"
    with Store.open(db) as store:
        import_paths(store, files, workers=1)
    monkeypatch.setattr(analyze_job, "CHUNK", 1000)
    monkeypatch.setattr(intervals, "POOL_MIN", 10**6)  # no pool
    _rebuilt(db)
    whole = snapshot(db, ANALYSIS_TABLES)
    monkeypatch.setattr(analyze_job, "CHUNK", 7)  # 24 runs: four chunks, the last short
    monkeypatch.setattr(intervals, "POOL_MIN", 2)  # each chunk modelled in the pool
    _rebuilt(db)
    pipelined = snapshot(db, ANALYSIS_TABLES)
    assert len(whole["intervals"]) > len(whole["structures"]) >= 20  # 22 of the files are runs
    for table in ANALYSIS_TABLES:
        assert whole[table] == pipelined[table], table


# Files that disagree in ways the arrival order used to settle: one run recorded by two
# watches set to max HR 200 and 196 (the day's device markers), and one run in six files
# whose streams score the same (the activity's primary record: the one file read whole,
# else, among the salvaged ones, the smallest content hash).
RACED = [
    "fit/running/runalyze__FR735XT-with-performance-condition.fit",
    "fit/running/runalyze__Fenix-3-with-runscribe-v1-38.fit",
    "fit/edge_cases/fitdecode__Activity.fit",
    "fit/edge_cases/fitdecode__activity-activity-filecrc.fit",
    "fit/edge_cases/fitdecode__activity-filecrc.fit",
    "fit/edge_cases/fitdecode__activity-settings-nodata.fit",
    "fit/edge_cases/fitdecode__activity-unexpected-eof.fit",
]


def _stored(db: Path, batches: list[list[Path]]) -> dict[str, list[tuple[object, ...]]]:
    with Store.open(db) as store:
        for batch in batches:
            import_paths(store, batch, workers=1)
        analyze(store)
    return snapshot(db)


@pytest.mark.parametrize("whole_file", [True, False])
def test_markers_primaries_and_zones_do_not_depend_on_the_order_files_arrive(
    tmp_path: Path, whole_file: bool
) -> None:
    """One import or one a file, in either order: the same rows in every table (by record)."""
    files = [shared_path(f) for f in RACED if whole_file or not f.endswith("__Activity.fit")]
    orders = {
        "sorted": [files],
        "reversed": [files[::-1]],
        "one_a_file_reversed": [[f] for f in files[::-1]],
        "one_a_file": [[f] for f in files],
    }
    stores = {name: _stored(tmp_path / f"{name}.duckdb", b) for name, b in orders.items()}
    first = stores["sorted"]
    assert len(first["activities"]) == 2 and len(first["activity_sources"]) == len(files)
    device = [r for r in first["athlete_thresholds"] if r[1] == "device"]
    assert {r[2] for r in device} >= {"max_hr", "lt2_hr"}  # the watches' settings are kept
    for name, other in stores.items():
        assert differences(first, other) == [], name
