"""The Strava bulk export: a zip (or folder) built here from real FIT, GPX and TCX files."""

from __future__ import annotations

import datetime as dt
import gzip
import zipfile
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from terskel.cli import app
from terskel.jobs.ingest import count_inputs, import_paths
from terskel.sources.strava_export import (
    ExportError,
    is_strava_export,
    parse_activities_csv,
    parse_date,
)
from terskel.store import Store
from tests.conftest import TEST_DATA

DATA = TEST_DATA / "strava"
# The column layout of a real English export (names repeat: the second Distance is metres).
HEADER = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,"
    "Distance,Max Heart Rate,Relative Effort,Commute,Activity Private Note,Activity Gear,"
    "Filename,Athlete Weight,Bike Weight,Elapsed Time,Moving Time,Distance,Max Speed,"
    "Average Speed,Elevation Gain,Average Heart Rate,Calories"
)
ROWS = [
    '1001,"Feb 6, 2013, 12:11:14 PM",Evening Run,Run,,2625,4.84,171.0,40,false,,,'
    "activities/1001.fit.gz,,,2625.0,2600.0,4835.38,4.1,1.84,12.0,147.0,400",
    '1002,"Nov 19, 2017, 11:23:07 AM",Morning Ride,Ride,,1265,20.1,138.0,,false,,,'
    "activities/1002.gpx,,,1265.0,1265.0,20100.0,,,,,",
    '1003,"Feb 21, 2009, 12:57:25 PM",Lunch Ride,Ride,,8204,50.5,,,false,,,'
    "activities/1003.tcx.gz,,,8204.0,8000.0,50500.0,,,,,",
    '1004,"Oct 6, 2022, 11:19:20\u202fPM",Gym,Weight Training,,3600,0,,,false,,,'
    ",,,3600.0,3600.0,0.0,,,,,",
    '1005,"Oct 8, 2022, 7:00:00 AM",Lost Run,Run,,1800,5.0,,,false,,,'
    "activities/1005.fit.gz,,,1800.0,1790.0,5000.0,,,,,",
]


def _write_export(zip_path: Path) -> Path:
    fit = (DATA / "fitparse__2013-02-06-12-11-14.fit").read_bytes()
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("activities.csv", HEADER + "\n" + "\n".join(ROWS) + "\n")
        archive.writestr("activities/1001.fit.gz", gzip.compress(fit))
        archive.writestr("activities/1002.gpx", (DATA / "gpxpy__garmin_tpx.gpx").read_bytes())
        archive.writestr("activities/1003.tcx.gz", (DATA / "stravalib__sample.tcx.gz").read_bytes())
        archive.writestr("profile.csv", "Athlete ID\n1\n")
    return zip_path


@pytest.fixture
def export_zip(tmp_path: Path) -> Path:
    return _write_export(tmp_path / "export_1234.zip")


def _by_source_id(store: Store) -> dict[str, int]:
    rows = store.con.execute("SELECT source_id, activity_id FROM activity_sources").fetchall()
    return {sid: aid for sid, aid in rows}


def test_import_then_reimport_is_a_no_op(store: Store, export_zip: Path) -> None:
    assert is_strava_export(export_zip)
    assert count_inputs([export_zip]) == 5  # 1 FIT file + 4 other rows
    ticks: list[str] = []
    first = import_paths(store, [export_zip], workers=1, on_file=ticks.append)
    assert (first.imported, first.present, first.failed) == (5, 0, [])
    assert len(ticks) == 5
    assert "file missing from the export; summary only" in [w[1] for w in first.warnings]
    sources = store.activities()["sources"].to_list()
    assert sorted(sources) == ["fit"] + ["strava_export"] * 4
    counts = store.table_counts()
    second = import_paths(store, [export_zip], workers=1)
    assert (second.imported, second.linked, second.present) == (0, 0, 5)
    assert store.table_counts() == counts


def test_gpx_and_tcx_keep_heart_rate_cadence_and_laps(store: Store, export_zip: Path) -> None:
    import_paths(store, [export_zip], workers=1)
    ids = _by_source_id(store)
    gpx = store.samples([ids["1002"]]).collect()
    assert gpx["heart_rate"].to_list() == [113, 112, 138]
    assert gpx["cadence_spm"].to_list() == [None, None, 21]  # a ride: not doubled
    assert gpx["t"][0] == dt.datetime(2017, 11, 19, 11, 23, 7)
    tcx = store.samples([ids["1003"]]).collect()
    assert tcx.height == 827 and tcx["heart_rate"].null_count() == 0
    assert store.laps([ids["1003"]]).collect().height == 2
    activities = store.activities()
    ride = activities.filter(pl.col("activity_id") == ids["1002"]).row(0, named=True)
    assert (ride["sport"], ride["distance_m"], ride["elapsed_s"]) == ("cycling", 20100.0, 1265.0)
    gym = activities.filter(pl.col("activity_id") == ids["1004"]).row(0, named=True)
    assert (gym["sport"], gym["sub_sport"], gym["sample_count"]) == (
        "training",
        "strength_training",
        0,
    )
    assert gym["start_utc"] == dt.datetime(2022, 10, 6, 23, 19, 20)
    raw = store.con.execute("SELECT count(*) FROM raw_files").fetchone()
    assert raw is not None and raw[0] == 3  # FIT, GPX and TCX bytes are kept


def test_unpacked_folder_imports_the_same(tmp_path: Path, export_zip: Path) -> None:
    folder = tmp_path / "export_1234"
    with zipfile.ZipFile(export_zip) as archive:
        archive.extractall(folder)
    assert is_strava_export(folder)
    with Store.open(tmp_path / "folder.duckdb") as store:
        summary = import_paths(store, [folder], workers=1)
        assert (summary.imported, summary.failed) == (5, [])
        assert import_paths(store, [folder], workers=1).present == 5


def test_cli_imports_an_export(tmp_path: Path, export_zip: Path) -> None:
    result = CliRunner().invoke(
        app, ["--db", str(tmp_path / "c.duckdb"), "import", str(export_zip)]
    )
    assert result.exit_code == 0, result.output
    assert "imported 5" in result.output


def test_a_fit_zip_is_not_an_export(tmp_path: Path) -> None:
    plain = tmp_path / "fits.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.write(DATA / "fitparse__2013-02-06-12-11-14.fit", "a.fit")
    assert not is_strava_export(plain)
    assert count_inputs([plain]) == 1


def test_a_bad_track_file_fails_alone(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("activities.csv", HEADER + "\n" + ROWS[1] + "\n" + ROWS[3] + "\n")
        archive.writestr("activities/1002.gpx", b"<gpx><trk><trkseg><trkpt")
    summary = import_paths(store, [path], workers=1)
    assert summary.imported == 1 and len(summary.failed) == 1
    assert "GPX" in summary.failed[0][1]


def test_csv_columns_and_dates() -> None:
    rows = parse_activities_csv(HEADER + "\n" + "\n".join(ROWS))
    assert [r.activity_id for r in rows] == ["1001", "1002", "1003", "1004", "1005"]
    assert rows[0].number("Distance") == 4835.38  # the metres column, not the km one
    assert rows[0].number("Elapsed Time") == 2625.0 and rows[3].filename is None
    assert parse_date("Oct 6, 2022, 11:19:20\u202fPM") == dt.datetime(2022, 10, 6, 23, 19, 20)
    assert parse_date("6. okt. 2022, 23:19:20") is None
    with pytest.raises(ExportError, match="Activity ID"):
        parse_activities_csv("Aktivitets-ID,Dato\n1,2\n")
