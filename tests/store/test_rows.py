"""Small reads built from rows: the same frames as DuckDB's `.pl()`, and no pyarrow import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from terskel.store import Store
from terskel.store.rows import ArrowStream, frame_from_rows
from tests.conftest import DEMO_DATA

# every column type the mapping knows, with nulls, NaN and extremes
MAPPED = """
SELECT * FROM (VALUES
    (true, (-128)::TINYINT, (-32768)::SMALLINT, 7::INTEGER, 9007199254740993::BIGINT,
     255::UTINYINT, 65535::USMALLINT, 4294967295::UINTEGER, 18446744073709551615::UBIGINT,
     1.1::FLOAT, 'nan'::DOUBLE, 'å ✓',
     DATE '2028-02-29', TIME '23:59:59.5', TIMESTAMP '2026-03-01 10:00:00.123456',
     12.345::DECIMAL(9,3), [1.5, NULL]::DOUBLE[], [[1], []]::INTEGER[][]),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1e308, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL)
) t(b, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, s, d, tm, ts, dec, l, ll)
"""


def test_mapped_types_equal_pl() -> None:
    con = duckdb.connect()
    rows = frame_from_rows(con.sql(MAPPED))
    assert rows is not None
    assert_frame_equal(rows, con.sql(MAPPED).pl())
    assert rows.schema["i32"] == pl.Int32 and rows.schema["f32"] == pl.Float32


def test_empty_result_keeps_its_schema() -> None:
    con = duckdb.connect()
    sql = f"SELECT * FROM ({MAPPED}) WHERE false"
    rows = frame_from_rows(con.sql(sql))
    assert rows is not None and rows.height == 0
    assert rows.schema == con.sql(sql).pl().schema


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 AS a, 2 AS a",  # .pl() renames the second a_1
        "SELECT INTERVAL 5 MINUTE AS iv",
        "SELECT 'x'::BLOB AS b",
        "SELECT {'k': 1} AS s",
        "SELECT now() AS tz",
        "SELECT 170141183460469231731687303715884105727::HUGEINT AS h",  # past Decimal(38)
    ],
)
def test_other_results_are_left_to_pl(sql: str) -> None:
    assert frame_from_rows(duckdb.connect().sql(sql)) is None


@pytest.fixture
def analysed(tmp_path: Path) -> Path:
    """A store of the demo runs, imported and analysed, checkpointed into one file."""
    from terskel.jobs.analyze import analyze
    from terskel.jobs.ingest import import_paths

    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        import_paths(store, [DEMO_DATA])
        analyze(store)
        store.checkpoint()
    return db


def test_read_only_store_reads_without_pyarrow(analysed: Path) -> None:
    """A report's reads on a read-only store never import pyarrow (issue 14: ~0.2 s)."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from terskel.store import Store\n"
        f"with Store.open(Path({str(analysed)!r}), read_only=True) as s:\n"
        "    ids = s.activities()['activity_id'].to_list()\n"
        "    frames = s.sessions(ids), s.intervals(ids), s.zone_time(ids), s.peaks()\n"
        "    assert ids and all(f.height for f in frames), [f.height for f in frames]\n"
        "    s.query('SELECT count(*) AS n FROM samples', {})\n"
        "print('pyarrow' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-800:]
    assert done.stdout.strip() == "False"


def test_writer_reads_equal_read_only_reads(analysed: Path) -> None:
    with Store.open(analysed) as store:
        writer = store.activities(), store.sessions(), store.zone_time(), store.peaks()
    with Store.open(analysed, read_only=True) as store:
        reader = store.activities(), store.sessions(), store.zone_time(), store.peaks()
    for w, r in zip(writer, reader, strict=True):
        assert w.height > 0
        assert_frame_equal(w, r)


def test_a_big_result_is_left_to_pl() -> None:
    """Past max_rows the rows path gives up (Arrow is faster), at max_rows it does not."""
    con = duckdb.connect()
    sql = "SELECT range AS i FROM range(30)"
    assert frame_from_rows(con.sql(sql), max_rows=29) is None
    rows = frame_from_rows(con.sql(sql), max_rows=30)
    assert rows is not None and rows["i"].to_list() == list(range(30))


def test_a_failing_query_is_left_to_pl_which_raises() -> None:
    con = duckdb.connect()
    sql = "SELECT CAST('x' AS INTEGER) AS n"
    assert frame_from_rows(con.sql(sql)) is None
    with pytest.raises(duckdb.ConversionException):
        con.sql(sql).pl()


def test_writes_through_the_c_stream_store_what_pyarrow_stored() -> None:
    import datetime as dt

    frame = pl.DataFrame(
        {
            "i": [1, None, 3],
            "x": [1.5, float("nan"), None],
            "s": ["å ✓", None, ""],
            "b": [b"\x00\xff", None, b""],
            "t": [dt.datetime(2026, 3, 1, 10, 0, 0, 123456), None, dt.datetime(1970, 1, 1)],
            "n": [None, None, None],  # dtype Null: every value of the batch missing
        }
    )
    assert frame.schema["n"] == pl.Null
    con = duckdb.connect()
    table = "CREATE TABLE {} (i BIGINT, x DOUBLE, s VARCHAR, b BLOB, t TIMESTAMP, n DOUBLE)"
    for name, source in (("via_stream", ArrowStream(frame)), ("via_pyarrow", frame.to_arrow())):
        con.execute(table.format(name))
        con.register("incoming", source)
        con.execute(f"INSERT INTO {name} SELECT * FROM incoming")
        con.unregister("incoming")
    for a, b in (("via_stream", "via_pyarrow"), ("via_pyarrow", "via_stream")):  # NaN equal
        assert con.execute(f"SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}").fetchall() == []
    first = con.execute("SELECT * FROM via_stream WHERE i = 1").fetchall()
    assert first == [(1, 1.5, "å ✓", b"\x00\xff", dt.datetime(2026, 3, 1, 10, 0, 0, 123456), None)]
    assert con.execute("SELECT count(*), count(n) FROM via_stream").fetchall() == [(3, 0)]


def test_import_writes_without_pyarrow(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from terskel.store import Store; "
        "from terskel.jobs.ingest import import_paths; "
        f"s = Store.open(Path({str(tmp_path / 'w.duckdb')!r})); "
        f"summary = import_paths(s, [Path({str(DEMO_DATA)!r})], workers=1); s.close(); "
        "print(summary.imported, 'pyarrow' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    imported, pyarrow = done.stdout.split()
    assert int(imported) >= 3 and pyarrow == "False"
