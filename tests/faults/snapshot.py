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


Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(db: Path, tables: tuple[str, ...] = TABLES) -> Snapshot:
    """Every row of `tables` (ids as record keys, no timestamps of writing), sorted."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {table: _rows(con, table) for table in tables}
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
    return sorted((tuple(_plain(v) for v in row) for row in rows), key=_order)


def _plain(value: Any) -> Any:
    """NaN equal to NaN (tuples compare with ==)."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def _order(row: tuple[Any, ...]) -> str:
    """Sort key: floats to 6 significant digits, so rows differing in the last bits pair up."""
    return repr(tuple(f"{v:.6g}" if isinstance(v, float) else v for v in row))


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Equal rows; floats may differ in their last bits (a sum over another chunk of runs)."""
    if len(a) != len(b):
        return False
    return all(
        math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
        if isinstance(x, float) and isinstance(y, float)
        else x == y
        for x, y in zip(a, b, strict=True)
    )


def differences(a: Snapshot, b: Snapshot) -> list[str]:
    """Tables whose rows differ, with a sample row each (empty: the stores hold the same)."""
    out = []
    for table in TABLES:
        left, right = a[table], b[table]
        if len(left) != len(right):
            out.append(f"{table}: {len(left)} vs {len(right)} rows")
            continue
        unequal = [(x, y) for x, y in zip(left, right, strict=True) if not _same(x, y)]
        if unequal:
            out.append(f"{table}: {len(unequal)} rows differ, e.g. {unequal[0]}")
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
