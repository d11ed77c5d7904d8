"""A store's contents as comparable values: every row of the data and analysis tables.

Activity ids come from a sequence and timestamps from the clock, so a store healed
by a rerun may differ from an uninterrupted one only there: ids are replaced by the
activity's primary record (source:source_id) and run-time columns are left out.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb

# Tables whose rows must end identical (import_log and sync_log record history).
TABLES = (
    "activities",
    "activity_sources",
    "raw_files",
    "laps",
    "samples",
    "intervals",
    "structures",
    "activity_peaks",
    "zone_time",
    "sessions",
    "athlete_thresholds",
)
ANALYSIS_TABLES = ("intervals", "structures", "activity_peaks", "zone_time", "sessions")
# When a row was written, not what it says.
VOLATILE = {
    "activity_id",
    "outing_id",
    "imported_at",
    "updated_at",
    "analyzed_at",
    "stored_at",
    "recorded_at",
    "content",  # raw bytes: compared through sha256 and size
}
KEY = (
    "(SELECT primary_source || ':' || primary_source_id FROM activities k "
    "WHERE k.activity_id = t.{0})"
)


def snapshot(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of TABLES (ids as record keys, no timestamps of writing), sorted."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {table: _rows(con, table) for table in TABLES}
    finally:
        con.close()


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    columns = [
        name
        for (name,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [table],
        ).fetchall()
    ]
    chosen = [c for c in columns if c not in VOLATILE]
    chosen += [KEY.format(c) + f" AS {c}_key" for c in ("activity_id", "outing_id") if c in columns]
    rows = con.execute(f"SELECT {', '.join(chosen)} FROM {table} t").fetchall()
    return sorted((tuple(_plain(v) for v in row) for row in rows), key=repr)


def _plain(value: Any) -> Any:
    """NaN equal to NaN (tuples compare with ==)."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def differences(
    a: dict[str, list[tuple[Any, ...]]], b: dict[str, list[tuple[Any, ...]]]
) -> list[str]:
    """Tables whose rows differ, with a count each (empty: the stores hold the same)."""
    out = []
    for table in TABLES:
        if a[table] != b[table]:
            only_a = len(set(map(repr, a[table])) - set(map(repr, b[table])))
            only_b = len(set(map(repr, b[table])) - set(map(repr, a[table])))
            out.append(
                f"{table}: {len(a[table])} vs {len(b[table])} rows, {only_a}/{only_b} differ"
            )
    return out


def analysed(db: Path) -> dict[str, int]:
    """Row counts of the analysis tables."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            t: int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])
            for t in ANALYSIS_TABLES
        }
    finally:
        con.close()
