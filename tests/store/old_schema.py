"""A store file as an earlier terskel left it: the migrations up to a schema version."""

from __future__ import annotations

from pathlib import Path

import duckdb

from terskel.store.schema import MIGRATIONS


def store_at_version(db: Path, version: int) -> duckdb.DuckDBPyConnection:
    """A raw connection to a new store at `db` migrated to `version` and no further."""
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE schema_version "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    for v, sql in enumerate(MIGRATIONS[:version], start=1):
        con.execute(sql)
        con.execute("INSERT INTO schema_version (version) VALUES (?)", [v])
    return con
