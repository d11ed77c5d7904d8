"""Tables a nightly writes without an ART index (schema v10 and v11): same columns, the same
rows after the migration, and keys the code keeps unique without one (issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from terskel.jobs.analyze import analyze
from terskel.jobs.ingest import import_paths
from terskel.store import Store
from terskel.store.schema import latest_version
from tests.conftest import DEMO_DATA
from tests.store.old_schema import store_at_version

# table -> the key the code keeps (delete-then-insert, or a sequence)
KEYS = {
    "activities": ("activity_id",),
    "import_log": ("log_id",),
    "intervals": ("athlete_id", "activity_id", "seg_index"),
    "structures": ("athlete_id", "activity_id"),
    "sessions": ("athlete_id", "activity_id"),
    "activity_peaks": ("athlete_id", "activity_id"),
    # upserted (MERGE, store/core.py _upsert): v11
    "raw_files": ("athlete_id", "sha256"),
    "activity_sources": ("athlete_id", "source", "source_id"),
    "athlete_thresholds": ("athlete_id", "source", "marker", "effective_from"),
}
UNINDEXED_FROM = 10


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    """Name, type, nullability and default of each column, in order."""
    return con.execute(
        "SELECT column_name, data_type, is_nullable, column_default FROM duckdb_columns() "
        "WHERE table_name = ? AND database_name = current_database() ORDER BY column_index",
        [table],
    ).fetchall()


def test_v10_and_v11_keep_columns_and_rows_and_drops_the_indexes(tmp_path: Path) -> None:
    db = tmp_path / "v9.duckdb"
    con = store_at_version(db, UNINDEXED_FROM - 1)
    with Store.open(tmp_path / "filled.duckdb") as filled:  # real rows, through the code
        import_paths(filled, [DEMO_DATA], workers=1)
        analyze(filled)
        filled.checkpoint()
    con.execute(f"ATTACH '{tmp_path / 'filled.duckdb'}' AS filled (READ_ONLY)")
    before = {}
    for table in KEYS:
        con.execute(f"INSERT INTO {table} SELECT * FROM filled.{table}")
        before[table] = (_columns(con, table), sorted(con.execute(f"FROM {table}").fetchall()))
    con.execute("DETACH filled")
    con.execute("SELECT setval('activity_id_seq', 1000)")
    con.close()
    with Store.open(db) as store:
        assert store.schema_version() == latest_version()
        for table in KEYS:
            after = (
                _columns(store.con, table),
                sorted(store.con.execute(f"FROM {table}").fetchall()),
            )
            assert after == before[table], table
            assert before[table][1], table  # the demo runs fill every one of them
        indexes = store.con.execute(
            "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
            "UNION ALL SELECT table_name FROM duckdb_indexes()"
        ).fetchall()
        assert not {t for (t,) in indexes} & set(KEYS)
        # the defaults still draw from their sequences, where they were
        assert store.scalar("SELECT nextval('activity_id_seq')") == 1001


def test_the_code_keeps_the_keys_unique(store: Store) -> None:
    """Import twice, analyse, analyse again, rebuild: one row per key in every table."""
    import_paths(store, [DEMO_DATA], workers=1)
    import_paths(store, [DEMO_DATA], workers=1)
    analyze(store)
    first = _counts(store)
    analyze(store)
    analyze(store, rebuild=True)
    assert _counts(store) == first
    for table, key in KEYS.items():
        columns = ", ".join(key)
        doubled = store.scalar(
            f"SELECT count(*) FROM (SELECT {columns} FROM {table} GROUP BY ALL HAVING count(*) > 1)"
        )
        assert doubled == 0, table


def _counts(store: Store) -> dict[str, int]:
    return {table: int(store.scalar(f"SELECT count(*) FROM {table}")) for table in KEYS}


def _blocks(store: Store, table: str) -> set[int]:
    rows = store.con.execute(
        f"SELECT DISTINCT block_id FROM pragma_storage_info('{table}') WHERE block_id >= 0"
    ).fetchall()
    return {int(block) for (block,) in rows}


def _marker(value: float, day: int, note: str | None = "watch") -> dict[str, Any]:
    import datetime as dt

    return dict(source="device", marker="max_hr", value=value,
                effective_from=dt.date(2026, 1, day), note=note)  # fmt: skip


def test_thresholds_upsert_as_insert_or_replace_did(store: Store) -> None:
    """The first row of a key in one save; a later save sets the values and keeps
    recorded_at; a save that changes nothing writes nothing (the table's blocks stay)."""
    store.save_thresholds([_marker(190, 1, "am"), _marker(185, 1, "pm"), _marker(188, 2)])
    first = store.con.execute(
        "SELECT effective_from, value, note, recorded_at FROM athlete_thresholds ORDER BY 1"
    ).fetchall()
    assert [(v, n) for _, v, n, _ in first] == [(190, "am"), (188, "watch")]
    store.checkpoint()
    blocks = _blocks(store, "athlete_thresholds")
    store.save_thresholds([_marker(190, 1, "am"), _marker(188, 2)])
    store.checkpoint()
    assert _blocks(store, "athlete_thresholds") == blocks
    store.save_thresholds([_marker(191, 1, "again")])
    again = store.con.execute(
        "SELECT effective_from, value, note, recorded_at FROM athlete_thresholds ORDER BY 1"
    ).fetchall()
    assert again[0][1:3] == (191, "again") and again[0][3] == first[0][3]
    assert again[1] == first[1]


def test_a_file_stored_before_keeps_its_raw_files_row(store: Store) -> None:
    """raw_files' write is ON CONFLICT DO NOTHING's: a known hash keeps its row."""
    import polars as pl

    def row(first_path: str, size: int) -> pl.DataFrame:
        return pl.DataFrame(
            {"athlete_id": ["me"], "sha256": ["ab" * 32], "size_bytes": [size],
             "path": [f"ab/{'ab' * 32}.gz"], "first_path": [first_path]}
        )  # fmt: skip

    store._upsert("raw_files", row("/a.fit", 10), ("athlete_id", "sha256"), update=False)
    before = store.con.execute("FROM raw_files").fetchall()
    store._upsert("raw_files", row("/b.fit", 11), ("athlete_id", "sha256"), update=False)
    assert store.con.execute("FROM raw_files").fetchall() == before
    assert [r[3] for r in before] == ["/a.fit"]


def test_an_all_null_column_upserts_as_the_tables_type(store: Store) -> None:
    """A frame column that is all null (dtype Null: Arrow sends it as Boolean, as
    activity_sources' frame of a batch without original paths) compares and sets as the
    table's type."""
    import polars as pl

    key = ("athlete_id", "sha256")
    for first_path, size in ((None, 10), (None, 10), (None, 11)):
        frame = pl.DataFrame(
            {"athlete_id": ["me"], "sha256": ["cd" * 32], "size_bytes": [size],
             "path": [None], "first_path": [first_path]}
        )  # fmt: skip
        assert frame.schema["first_path"] == pl.Null
        store._upsert("raw_files", frame, key)
    rows = store.con.execute("SELECT size_bytes, path, first_path FROM raw_files").fetchall()
    assert rows == [(11, None, None)]
