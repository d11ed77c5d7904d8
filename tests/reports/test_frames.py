"""A query result printed from DuckDB's rows reads byte for byte as printed from its frame."""

from __future__ import annotations

import io

import duckdb
import pytest
from rich.console import Console

from terskel.reports.frames import frame_bytes, frame_table
from terskel.store.rows import PLAIN_TYPES, Rows, frame_of, plain_rows

# every plain type, with what CSV must quote, nulls, extremes and the values around the
# switch to exponent form (1e16, 1e-4); the `pace` columns print as m:ss in a table
PLAIN = '''
SELECT * FROM (VALUES
    (true, (-128)::TINYINT, (-32768)::SMALLINT, 7::INTEGER, 9007199254740993::BIGINT,
     255::UTINYINT, 65535::USMALLINT, 4294967295::UINTEGER, 18446744073709551615::UBIGINT,
     0.1::DOUBLE, 'å ✓', DATE '2028-02-29', TIMESTAMP '2026-03-01 10:00:00.123456', 3.84::DOUBLE),
    (false, 0, 0, 0, -9223372036854775808, 0, 0, 0, 0, -0.0, '', DATE '0005-01-01',
     TIMESTAMP '2026-03-01 00:00:00', 4.0),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1e15, 'a,b', NULL, NULL, NULL),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 123456789.125, 'say "hi"',
     DATE '9999-12-31', TIMESTAMP '9999-12-31 23:59:59.999999', 0.0001),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1.5,
     'two' || chr(10) || 'lines' || chr(13),
     NULL, NULL, NULL),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ' spaced ', NULL, NULL, NULL),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'cr' || chr(13), NULL, NULL, NULL)
) t(b, "i,8", i16, i32, i64, u8, u16, u32, u64, f64, "s""", d, ts, pace_min_per_km)
'''
# values polars writes in its own form (exponents, NaN, infinity): the rows' frame writes them
POLARS_ONLY = ["1e16", "1e-5", "2.5e-300", "'nan'", "'inf'", "'-inf'"]


def _both(sql: str) -> tuple[Rows, object]:
    con = duckdb.connect()
    rows = plain_rows(con.sql(sql))
    assert isinstance(rows, Rows)
    return rows, frame_of(con.sql(sql))


def _text(table: object) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_plain_rows_print_as_their_frame() -> None:
    rows, frame = _both(PLAIN)
    assert set(rows.types) == PLAIN_TYPES and rows.height == 7
    for fmt in ("csv", "json"):
        assert frame_bytes(rows, fmt) == frame_bytes(frame, fmt)  # type: ignore[arg-type]
    assert frame_bytes(rows, "csv").startswith(b'b,"i,8",i16')
    assert b'"say ""hi""",' in frame_bytes(rows, "csv")
    assert _text(frame_table(rows, "t")) == _text(frame_table(frame, "t"))  # type: ignore[arg-type]
    assert "3:50" in _text(frame_table(rows))
    assert frame_bytes(rows, "parquet") == frame_bytes(frame, "parquet")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", POLARS_ONLY)
def test_a_float_only_polars_knows_how_to_write_goes_through_the_frame(value: str) -> None:
    rows, frame = _both(f"SELECT {value}::DOUBLE AS x, 1 AS n")
    assert frame_bytes(rows, "csv") == frame_bytes(frame, "csv")  # type: ignore[arg-type]


def test_empty_rows_print_their_header() -> None:
    rows, frame = _both(f"SELECT * FROM ({PLAIN}) WHERE false")
    assert rows.height == 0
    assert frame_bytes(rows, "csv") == frame_bytes(frame, "csv")  # type: ignore[arg-type]
    assert frame_bytes(rows, "json") == b"[]\n"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1.5::FLOAT AS f",  # polars writes float32 in its own shortest form
        "SELECT 1.5::DECIMAL(9, 3) AS d",
        "SELECT TIME '10:00:00' AS t",
        "SELECT [1, 2] AS l",
        "SELECT now() AS tz",
        "SELECT 1 AS a, 2 AS a",
        "SELECT range AS i FROM range(20001)",
    ],
)
def test_other_results_come_as_frames(sql: str) -> None:
    assert plain_rows(duckdb.connect().sql(sql)) is None
