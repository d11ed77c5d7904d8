"""`terskel analyze` and `terskel intervals`: structure stored, shown, and in JSON."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from terskel.cli import app
from terskel.store import Store
from tests.conftest import DEMO_DATA, shared_path

runner = CliRunner()
FIELDS = {"kind", "set", "rep", "start", "end", "duration_s", "distance_m", "avg_speed_mps",
          "avg_hr", "max_hr"}  # fmt: skip


def test_import_analyses_new_runs_and_stores_their_structure(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["--db", str(db), "import", str(DEMO_DATA)])
    assert result.exit_code == 0 and "analysed 5 new runs" in result.output
    with Store.open(db, read_only=True) as store:
        labels = dict(store.structures().select("activity_id", "label").iter_rows())
        assert len(labels) == 5 and list(labels.values()).count("continuous") >= 3
        assert store.intervals().height >= 5
    again = runner.invoke(app, ["--db", str(db), "analyze"])
    assert "analysed 0 runs" in again.output  # nothing new
    rebuilt = runner.invoke(app, ["--db", str(db), "analyze", "--rebuild"])
    assert "analysed 5 runs" in rebuilt.output


def test_intervals_json_contract_from_a_file_without_laps() -> None:
    path = shared_path("fit/running/fnardmann__10024712104_ACTIVITY.fit")
    result = runner.invoke(app, ["intervals", str(path), "--json", "--no-laps"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["label"] == "6x400m/200m" and doc["source"] == "streams"
    assert doc["activity"]["start"] == "2022-11-23T15:35:52Z"
    work = [s for s in doc["segments"] if s["kind"] == "work"]
    assert len(work) == 6 and all(set(s) >= FIELDS for s in doc["segments"])
    assert all(s["start"].endswith("Z") for s in doc["segments"])
    assert [s["rep"] for s in work] == [1, 2, 3, 4, 5, 6]


def test_intervals_json_has_confidence_and_store_keeps_it(tmp_path: Path) -> None:
    path = shared_path("fit/running/fnardmann__10024712104_ACTIVITY.fit")
    result = runner.invoke(app, ["intervals", str(path), "--json", "--no-laps"])
    assert 0.5 < json.loads(result.stdout)["confidence"] <= 1.0
    db = tmp_path / "s.duckdb"
    runner.invoke(app, ["--db", str(db), "import", str(path)])
    with Store.open(db, read_only=True) as store:
        conf = store.structures()["confidence"].to_list()
    assert len(conf) == 1 and 0.0 <= conf[0] <= 1.0


def test_intervals_explain_lists_scored_readings() -> None:
    path = shared_path("fit/running/fnardmann__10024712104_ACTIVITY.fit")
    args = ["intervals", str(path), "--no-laps", "--explain"]
    result = runner.invoke(app, args, terminal_width=120)
    assert result.exit_code == 0, result.output
    assert "readings considered" in result.output
    lines = [ln for ln in result.output.splitlines() if "continuous" in ln]
    assert lines and lines[-1].strip().endswith("0.0")  # continuous scores 0
    chosen = next(ln for ln in result.output.splitlines() if ln.strip().startswith("*"))
    assert "6x400m/200m" in chosen


def test_intervals_of_a_stored_activity_shows_reps_and_drift(tmp_path: Path) -> None:
    path = shared_path("fit/running/fnardmann__10024712104_ACTIVITY.fit")
    db = tmp_path / "s.duckdb"
    runner.invoke(app, ["--db", str(db), "import", str(path)])
    result = runner.invoke(app, ["--db", str(db), "intervals", "1"], terminal_width=120)
    assert result.exit_code == 0, result.output
    assert "6x400m/200m" in result.output and "drift" in result.output
    assert result.output.count("work") == 6


def test_intervals_of_an_unknown_id_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    runner.invoke(app, ["--db", str(db), "import", str(DEMO_DATA / "workoutizer__with_nones.fit")])
    result = runner.invoke(app, ["--db", str(db), "intervals", "99"])
    assert result.exit_code == 2 and "no activity 99" in result.output


def test_intervals_of_a_swim_or_a_ride_says_runs_only(tmp_path: Path) -> None:
    swim = shared_path("fit/other_sports/tormoder__activity_poolswim_with_hr.fit")
    from_file = runner.invoke(app, ["intervals", str(swim)])
    assert from_file.exit_code == 2, from_file.output
    assert "a swimming activity; terskel finds the interval structure of runs only" in (
        from_file.output
    )
    db = tmp_path / "s.duckdb"
    ride = shared_path("fit/other_sports/fitfiler__zwift-turbo.fit")
    assert runner.invoke(app, ["--db", str(db), "import", str(ride)]).exit_code == 0
    stored = runner.invoke(app, ["--db", str(db), "intervals", "1", "--json"])
    assert stored.exit_code == 2 and "a cycling activity" in stored.output
    assert "/km" not in stored.output
