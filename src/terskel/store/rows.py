"""Small results as polars frames from DuckDB's rows, without importing pyarrow.

`DuckDBPyRelation.pl()` goes through pyarrow, whose import (with numpy) is ~0.2 s
of a `terskel report` or `terskel query` that reads a few hundred rows (issue 14).
For such reads the rows come as tuples and polars builds the frame with the dtypes
`.pl()` would give (mapped from DuckDB's column types below). A result with another
type, duplicate column names (which `.pl()` renames), or more than MAX_ROWS rows
(`SELECT * FROM samples` to parquet: run again, in full, through Arrow) still goes
through `.pl()`. The store's own reads (`read_frame`) run through a cursor, not a
relation, to the same frame at less cost. The Arrow C stream would skip pyarrow
too, but with duckdb 2.0 and polars 2.1 a stream read leaves a duckdb object alive
at exit (nanobind prints "leaked 27 instances" on stderr) and polars panics on
INTERVAL columns.

`terskel query` goes one step further: a small result of plain types (PLAIN_TYPES)
stays as DuckDB's rows (`Rows`), which reports/frames.py prints byte for byte as it
prints their frame, without importing polars (~0.12 s of a ~0.5 s query).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:  # polars loads where a frame is built: `terskel query` may build none
    import polars as pl


@cache
def _scalar() -> dict[str, pl.DataType]:
    import polars as pl

    return {
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
    import polars as pl

    if duckdb_type.endswith("[]"):
        inner = dtype_of(duckdb_type[:-2])
        return None if inner is None else pl.List(inner)
    decimal = _DECIMAL.fullmatch(duckdb_type)
    if decimal:
        return pl.Decimal(int(decimal[1]), int(decimal[2]))
    return _scalar().get(duckdb_type)


def frame_from_rows(
    relation: duckdb.DuckDBPyRelation, max_rows: int = MAX_ROWS
) -> pl.DataFrame | None:
    """The relation's frame built from rows; None for an unmapped type, a failure (the
    caller's `.pl()` raises it again) or more than `max_rows` rows."""
    schema = _schema(relation.columns, [str(t) for t in relation.types])
    if schema is None:
        return None
    rows = _fetch(relation, max_rows)
    return None if rows is None else _frame(rows, schema)


def _schema(names: list[str], types: list[str]) -> dict[str, pl.DataType] | None:
    """The polars schema `.pl()` gives these columns; None for duplicate names (which
    `.pl()` renames) or a type not mapped here."""
    dtypes = [dtype_of(t) for t in types]
    if len(set(names)) < len(names) or any(d is None for d in dtypes):
        return None
    return dict(zip(names, dtypes, strict=True))  # type: ignore[arg-type]  # no None left


def _frame(rows: list[tuple[Any, ...]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(rows, schema=schema, orient="row")


def frame_from_query(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: dict[str, Any] | list[Any],
    max_rows: int = MAX_ROWS,
) -> pl.DataFrame | None:
    """`frame_from_rows` of `con.sql(sql, params=params)`, run through a cursor: the same
    query (limited as `relation.limit` limits it: a subquery) and the same frame, at less
    than half the cost of a relation's binds (~2 ms a read; a one-run analysis reads
    ~20 times). None for an unmapped type, duplicate names, a failure or more than
    `max_rows` rows."""
    try:
        cursor = con.execute(f"SELECT * FROM ({sql}) LIMIT {max_rows + 1}", params)
        columns = cursor.description or []
        schema = _schema([str(c[0]) for c in columns], [str(c[1]) for c in columns])
        if schema is None:
            return None
        rows = cursor.fetchall()
    except duckdb.InterruptException:
        raise  # Ctrl-C: not a reason to run the query again
    except duckdb.Error:
        return None
    return None if len(rows) > max_rows else _frame(rows, schema)


def read_frame(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: dict[str, Any] | list[Any],
    bulk: bool = False,
) -> pl.DataFrame:
    """A store query's frame: from rows while it is small and not `bulk`, else through Arrow."""
    small = None if bulk else frame_from_query(con, sql, params)
    if small is not None:
        return small
    frame: pl.DataFrame = con.sql(sql, params=params).pl()
    return frame


def frame_of(relation: duckdb.DuckDBPyRelation, via_rows: bool = True) -> pl.DataFrame:
    """The relation's frame: from rows when asked and it can be, else through Arrow."""
    small = frame_from_rows(relation) if via_rows else None
    frame: pl.DataFrame = relation.pl() if small is None else small
    return frame


# Types whose Python values (from `fetchall()`) are the ones a frame built from them gives
# back, so `Rows` print as that frame does (reports/frames.py). Not FLOAT: polars prints
# float32 in its own shortest form, where Python sees the widened double.
NUMERIC_TYPES = frozenset(
    ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
).union(["DOUBLE"])
PLAIN_TYPES = NUMERIC_TYPES.union(["BOOLEAN", "VARCHAR", "DATE", "TIMESTAMP"])


@dataclass(frozen=True)
class Rows:
    """A small result as DuckDB hands it over: names, DuckDB type names, rows of values."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]

    @property
    def height(self) -> int:
        """How many rows (as a frame's `height`)."""
        return len(self.rows)

    def frame(self) -> pl.DataFrame:
        """The frame `frame_of` gives for the same result."""
        import polars as pl

        schema = {name: dtype_of(kind) for name, kind in zip(self.columns, self.types, strict=True)}
        return pl.DataFrame(self.rows, schema=schema, orient="row")


def plain_rows(relation: duckdb.DuckDBPyRelation, max_rows: int = MAX_ROWS) -> Rows | None:
    """The relation's rows when every column is of a plain type, the names are unique and
    there are at most `max_rows`; None otherwise, or on a failure (the caller's frame read
    raises it again)."""
    names, types = relation.columns, [str(t) for t in relation.types]
    if len(set(names)) < len(names) or not PLAIN_TYPES.issuperset(types):
        return None
    rows = _fetch(relation, max_rows)
    return None if rows is None else Rows(names, types, rows)


def _fetch(relation: duckdb.DuckDBPyRelation, max_rows: int) -> list[tuple[Any, ...]] | None:
    """At most `max_rows` rows; None for more, or when DuckDB fails."""
    try:
        rows = relation.limit(max_rows + 1).fetchall()
    except duckdb.InterruptException:
        raise  # Ctrl-C: not a reason to run the query again
    except duckdb.Error:
        return None
    return None if len(rows) > max_rows else rows


class ArrowStream:
    """A polars frame as DuckDB's scan of the Arrow PyCapsule stream, for writes.

    `con.register(name, frame)` (and `frame.to_arrow()`) go through a pyarrow Table:
    pyarrow's import is ~0.04 s of a one-file nightly import, and the copy into
    Table objects is a fifth of a 290-file import's write time. An object that only
    exports `__arrow_c_stream__` is read by DuckDB's own Arrow scan from polars'
    buffers. The wrapper (not the frame) is registered because DuckDB recognises a
    polars DataFrame by its class and converts it with `to_arrow()`. Each scan asks
    for a fresh stream, so a statement may read it more than once.

    A column of dtype Null (a batch where every value is missing) is sent as an
    all-null Boolean: Arrow's null type has no validity bitmap, which DuckDB's scan
    refuses; the INSERT casts the nulls to the table's type either way.
    """

    def __init__(self, frame: pl.DataFrame) -> None:
        import polars as pl

        nulls = [name for name, dtype in frame.schema.items() if dtype == pl.Null]
        self.frame = frame.with_columns(pl.col(nulls).cast(pl.Boolean)) if nulls else frame

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The frame's Arrow C stream (polars exports it without pyarrow)."""
        return self.frame.__arrow_c_stream__(requested_schema)
