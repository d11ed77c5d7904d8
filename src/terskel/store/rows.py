"""Small results as polars frames from DuckDB's rows, without importing pyarrow.

`DuckDBPyRelation.pl()` goes through pyarrow, whose import (with numpy) is ~0.2 s
of a `terskel report` or `terskel query` that reads a few hundred rows (issue 14).
For such reads the rows come as tuples and polars builds the frame with the dtypes
`.pl()` would give (mapped from DuckDB's column types below). A result with another
type, duplicate column names (which `.pl()` renames), or more than MAX_ROWS rows
(`SELECT * FROM samples` to parquet: run again, in full, through Arrow) still goes
through `.pl()`. The Arrow C stream would skip pyarrow too, but with duckdb 2.0 and
polars 2.1 a stream read leaves a duckdb object alive at exit (nanobind prints
"leaked 27 instances" on stderr) and polars panics on INTERVAL columns.
"""

from __future__ import annotations

import re

import duckdb
import polars as pl

_SCALAR: dict[str, pl.DataType] = {
    "BOOLEAN": pl.Boolean(),
    "TINYINT": pl.Int8(),
    "SMALLINT": pl.Int16(),
    "INTEGER": pl.Int32(),
    "BIGINT": pl.Int64(),
    "UTINYINT": pl.UInt8(),
    "USMALLINT": pl.UInt16(),
    "UINTEGER": pl.UInt32(),
    "UBIGINT": pl.UInt64(),
    "FLOAT": pl.Float32(),
    "DOUBLE": pl.Float64(),
    "VARCHAR": pl.String(),
    "DATE": pl.Date(),
    "TIME": pl.Time(),
    "TIMESTAMP": pl.Datetime("us"),
}
# HUGEINT is not here: `.pl()` gives Decimal(38, 0) holding all of int128, which a
# frame built from Python ints cannot (values past 10^38 become null).
# past this many rows Arrow is faster, pyarrow's import included (~5 us a row here)
MAX_ROWS = 20_000
_DECIMAL = re.compile(r"DECIMAL\((\d+),(\d+)\)")


def dtype_of(duckdb_type: str) -> pl.DataType | None:
    """The polars dtype `.pl()` gives a DuckDB column type; None for types not mapped here."""
    if duckdb_type.endswith("[]"):
        inner = dtype_of(duckdb_type[:-2])
        return None if inner is None else pl.List(inner)
    decimal = _DECIMAL.fullmatch(duckdb_type)
    if decimal:
        return pl.Decimal(int(decimal[1]), int(decimal[2]))
    return _SCALAR.get(duckdb_type)


def frame_from_rows(
    relation: duckdb.DuckDBPyRelation, max_rows: int = MAX_ROWS
) -> pl.DataFrame | None:
    """The relation's frame built from rows; None for an unmapped type, a failure (the
    caller's `.pl()` raises it again) or more than `max_rows` rows."""
    names = relation.columns
    dtypes = [dtype_of(str(t)) for t in relation.types]
    if len(set(names)) < len(names) or any(d is None for d in dtypes):
        return None
    try:
        rows = relation.limit(max_rows + 1).fetchall()
    except duckdb.InterruptException:
        raise  # Ctrl-C: not a reason to run the query again
    except duckdb.Error:
        return None
    if len(rows) > max_rows:
        return None
    return pl.DataFrame(rows, schema=dict(zip(names, dtypes, strict=True)), orient="row")


def frame_of(relation: duckdb.DuckDBPyRelation, via_rows: bool = True) -> pl.DataFrame:
    """The relation's frame: from rows when asked and it can be, else through Arrow."""
    small = frame_from_rows(relation) if via_rows else None
    frame: pl.DataFrame = relation.pl() if small is None else small
    return frame
