"""queries/ and `terskel query`, `status`, `export`: read-only, documented, real data."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from terskel.cli import app
from terskel.jobs.analyze import analyze
from terskel.jobs.ingest import import_paths
from terskel.queries import all_queries
from terskel.store import Store
from tests.conftest import DEMO_DATA, ROOT, SHARED, TEST_DATA, shared_path

runner = CliRunner()


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of real, analysed runs: the demo files and a triathlon, plus (when
    ../shared/data is here) a two-watch pair and a real 16-week history in which one
    threshold session is moved onto the day of another (a double-threshold day), with
    lactate readings after its reps."""
    db = tmp_path_factory.mktemp("q") / "real.duckdb"
    paths = [DEMO_DATA, TEST_DATA / "fitparse__sample_mulitple_header.fit"]
    pair = ["FR735XT-with-performance-condition", "Fenix-3-with-runscribe-v1-38"]
    with contextlib.suppress(pytest.skip.Exception):
        paths += [shared_path(f"fit/running/runalyze__{name}.fit") for name in pair]
        paths += [shared_path("history/coros-road-runner")]
    with Store.open(db) as store:
        import_paths(store, paths, workers=1)  # decoding in parallel is tested elsewhere
        analyze(store)
        first, second = _two_threshold_outings(store)
        with_reps: list[int] = []
        if first is not None and second is not None:
            _make_double_day(store, first, second)
            analyze(store)
            with_reps = store.query(
                "SELECT s.activity_id FROM sessions s JOIN structures t USING "
                "(athlete_id, activity_id) WHERE s.outing_id = $o "
                "ORDER BY t.n_work DESC LIMIT 1",
                {"o": first},
            )["activity_id"].to_list()
    for activity_id in with_reps:
        for rep, mmol in ((1, "2.1"), (2, "2.6"), (3, "3.0")):
            args = ["--db", str(db), "lactate", "add", str(activity_id), mmol, "--rep", str(rep)]
            result = runner.invoke(app, args)
            assert result.exit_code == 0, result.output
    return db


def _two_threshold_outings(store: Store) -> tuple[int | None, int | None]:
    """The first activity of two threshold outings on different days, if there are two."""
    outings = store.query(
        "SELECT s.outing_id, min(s.local_date) AS day, max(t.n_work) AS reps FROM sessions s "
        "LEFT JOIN structures t USING (athlete_id, activity_id) "
        "WHERE s.session_type = 'threshold' GROUP BY s.outing_id "
        "ORDER BY reps > 0 DESC, day",
        {},
    )
    if outings["day"].n_unique() < 2:
        return None, None
    first = outings.row(0, named=True)
    second = outings.filter(pl.col("day") != first["day"]).row(0, named=True)
    return int(first["outing_id"]), int(second["outing_id"])


def _make_double_day(store: Store, first: int, second: int) -> None:
    """Move the second outing (all its files) to the first one's day: AM if it ran PM."""
    starts = store.query(
        "SELECT s.outing_id, min(a.start_local) AS start FROM sessions s "
        "JOIN activities a USING (athlete_id, activity_id) "
        "WHERE list_contains($ids, s.outing_id) GROUP BY s.outing_id",
        {"ids": [first, second]},
    )
    start = dict(starts.iter_rows())
    hour = 7 if start[first].hour >= 12 else 18
    target = dt.datetime.combine(start[first].date(), dt.time(hour))
    delta = target - start[second]
    members = store.query("SELECT activity_id FROM sessions WHERE outing_id = $o", {"o": second})
    for activity_id in members["activity_id"]:
        store.shift_activity(int(activity_id), delta)


def test_queries_folder_is_the_shipped_one() -> None:
    shipped = {q.name for q in all_queries()}
    assert {p.stem for p in (ROOT / "queries").glob("*.sql")} == shipped
    assert len(shipped) >= 5


@pytest.mark.parametrize("named", all_queries(), ids=lambda q: q.name)
def test_every_query_documents_itself_and_returns_its_columns(named, real_db: Path) -> None:  # type: ignore[no-untyped-def]
    assert named.summary and named.columns and named.example.startswith("terskel query")
    result = runner.invoke(app, ["--db", str(real_db), "query", named.name, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    if not rows and not SHARED.exists():
        pytest.skip("needs the real histories in ../shared/data")
    assert rows, f"{named.name} returned no rows"
    assert list(rows[0]) == named.columns


def test_weekly_volume_counts_each_run_once(real_db: Path) -> None:
    args = ["--db", str(real_db), "query", "weekly_volume", "--format", "csv"]
    result = runner.invoke(app, [*args, "--param", "since=2020-01-01"])
    frame = pl.read_csv(result.stdout.encode())
    demo = frame.filter(pl.col("iso_week").str.starts_with("2020"))
    assert demo["iso_week"].to_list() == ["2020-W49", "2020-W50"]
    assert demo["km"].to_list() == [13.1, 6.0]
    if SHARED.exists():  # the COROS history: 46.9 km in its first week (its MANIFEST)
        assert frame.filter(iso_week="2026-W11")["km"][0] == pytest.approx(46.9, abs=0.15)
    before = runner.invoke(app, [*args, "--param", "since=2018-01-01"])
    pair_week = pl.read_csv(before.stdout.encode()).filter(iso_week="2018-W03")
    if SHARED.exists():  # one run on two watches: counted once
        assert pair_week["runs"].to_list() == [1]


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM samples",
        "UPDATE activities SET distance_m = 0",
        "DROP VIEW v_activities",
        "COPY (SELECT 'x') TO '{db}'",
        "SELECT 1; DELETE FROM samples",
    ],
)
def test_query_cannot_change_data(sql: str, real_db: Path) -> None:
    before = hashlib.sha256(real_db.read_bytes()).hexdigest()
    with Store.open(real_db, read_only=True) as store:
        counts = store.table_counts()
    result = runner.invoke(app, ["--db", str(real_db), "query", sql.format(db=real_db)])
    assert result.exit_code == 2 and "read-only" in result.output
    assert hashlib.sha256(real_db.read_bytes()).hexdigest() == before
    with Store.open(real_db, read_only=True) as store:
        assert store.table_counts() == counts and counts["samples"] > 0


def test_parameters_are_checked(real_db: Path) -> None:
    bad = runner.invoke(app, ["--db", str(real_db), "query", "longest_runs", "--param", "nope=1"])
    assert bad.exit_code == 2 and "unknown parameter 'nope'" in bad.output
    top = runner.invoke(
        app, ["--db", str(real_db), "query", "longest_runs", "--param", "top=2", "--format", "json"]
    )
    assert len(json.loads(top.stdout)) == 2


def test_parquet_output_and_export(real_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "weeks.parquet"
    result = runner.invoke(
        app,
        [
            "--db",
            str(real_db),
            "query",
            "monthly_summary",
            "--format",
            "parquet",
            "--out",
            str(target),
        ],
    )
    assert result.exit_code == 0 and pl.read_parquet(target).height > 0
    exported = runner.invoke(
        app, ["--db", str(real_db), "export", "--parquet", str(tmp_path / "x")]
    )
    assert exported.exit_code == 0, exported.output
    samples = pl.read_parquet(
        tmp_path / "x" / "samples" / "**" / "*.parquet", hive_partitioning=True
    )
    with Store.open(real_db, read_only=True) as store:
        assert samples.height == store.table_counts()["samples"]
    assert (tmp_path / "x" / "activities" / "athlete_id=me" / "year=2020").is_dir()


def test_status_shows_counts_and_sync_runs(real_db: Path) -> None:
    result = runner.invoke(app, ["--db", str(real_db), "status"], terminal_width=150)
    assert result.exit_code == 0 and "activities" in result.output


def test_unknown_name_and_unwritable_out_are_one_line(real_db: Path, tmp_path: Path) -> None:
    unknown = runner.invoke(app, ["--db", str(real_db), "query", "longest_run"])
    assert unknown.exit_code == 2 and "no named query 'longest_run'" in unknown.output
    missing = tmp_path / "no-such-folder" / "runs.csv"
    result = runner.invoke(
        app,
        ["--db", str(real_db), "query", "longest_runs", "--format", "csv", "--out", str(missing)],
    )
    assert result.exit_code == 2
    assert f"{missing}: cannot write" in result.output and "Traceback" not in result.output
