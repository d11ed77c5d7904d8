"""Samples keep lat / lon as integer semicircles (schema v12): the same rows and degrees
after the migration, the same frames on read, and a smaller file (issue 14)."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from terskel.jobs.ingest import import_paths
from terskel.sources.fit import decode, uploads
from terskel.store import Store
from terskel.store.schema import latest_version
from tests.conftest import DEMO_DATA
from tests.store.old_schema import store_at_version

V11_COLUMNS = (
    "athlete_id, activity_id, t, distance_m, speed_mps, heart_rate, cadence_spm, "
    "altitude_m, power_w, lat, lon"
)


def _filled(tmp_path: Path) -> Path:
    """A store with the demo runs, imported by this code."""
    with Store.open(tmp_path / "filled.duckdb") as filled:
        import_paths(filled, [DEMO_DATA], workers=1)
        filled.checkpoint()
    return tmp_path / "filled.duckdb"


def test_v12_keeps_every_row_and_value_and_gives_the_space_back(tmp_path: Path) -> None:
    db = tmp_path / "v11.duckdb"
    con = store_at_version(db, 12 - 1)
    con.execute(f"ATTACH '{_filled(tmp_path)}' AS filled (READ_ONLY)")
    # the rows as v11 held them, in reverse: the migration puts them in (activity, t) order
    con.execute(
        f"INSERT INTO samples SELECT {V11_COLUMNS} FROM filled.samples "
        "ORDER BY activity_id DESC, t DESC"
    )
    con.execute("DETACH filled")
    # positions of other sources: decimal degrees, NaN, out of FIT's range
    con.execute(
        "INSERT INTO samples (athlete_id, activity_id, t, lat, lon) VALUES "
        "('me', 900, TIMESTAMP '2020-01-01 10:00:00', 43.8, 9.7), "
        "('me', 900, TIMESTAMP '2020-01-01 10:00:01', 'nan', 'inf'), "
        "('me', 900, TIMESTAMP '2020-01-01 10:00:02', NULL, 400.0)"
    )
    before = sorted(con.execute(f"SELECT {V11_COLUMNS} FROM samples").fetchall(), key=str)
    con.execute("CHECKPOINT")
    con.close()
    with Store.open(db) as store:
        assert store.schema_version() == latest_version()
        after = sorted(store.con.execute(f"SELECT {V11_COLUMNS} FROM samples").fetchall(), key=str)
        fit = [r for r in before if r[1] != 900]
        assert len(fit) > 10_000 and [r for r in after if r[1] != 900] == fit  # bit for bit
        others = {r[2].second: r[9:] for r in after if r[1] == 900}
        assert math.isclose(others[0][0], 43.8, abs_tol=4.2e-8)
        assert math.isclose(others[0][1], 9.7, abs_tol=4.2e-8)
        assert others[1] == (None, None)  # NaN and infinity: no position
        assert others[2][0] is None and math.isclose(others[2][1], 400.0, abs_tol=4.2e-8)
        order = store.con.execute("SELECT activity_id, t FROM samples ORDER BY rowid").fetchall()
        assert order == sorted(order)
        # the old table's blocks are not left in the file as free space
        free = store.scalar("SELECT free_blocks FROM pragma_database_size()")
        assert free == 0


def test_reads_and_user_sql_see_degrees_as_decoded(store: Store) -> None:
    path = DEMO_DATA / "workoutizer__with_nones.fit"
    import_paths(store, [path], workers=1)
    content = path.read_bytes()
    (upload,) = uploads(decode(content), str(path), content)
    decoded = upload.session.samples.with_columns(pl.col("t").cast(pl.Datetime("us")))
    samples = store.samples().collect()
    assert samples.columns == [
        "activity_id", "t", "distance_m", "speed_mps", "heart_rate", "cadence_spm",
        "altitude_m", "power_w", "lat", "lon",
    ]  # fmt: skip
    assert samples["lat"].dtype == pl.Float64 and samples["lat"].null_count() < samples.height
    assert_frame_equal(samples.drop("activity_id"), decoded)  # bit for bit
    sql = store.con.sql("SELECT lat, lon FROM samples ORDER BY t").pl()
    assert_frame_equal(sql, decoded.select("lat", "lon"))
