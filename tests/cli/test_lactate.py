"""`terskel lactate add|import|show`: readings attach to reps; bad rows exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from terskel.cli import app
from terskel.store import Store
from tests.conftest import shared_path

runner = CliRunner()
FILE = "fit/running/fnardmann__10024712104_ACTIVITY.fit"  # 6x400m/200m, 2022-11-23, UTC+1


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["--db", str(path), "import", str(shared_path(FILE))])
    assert result.exit_code == 0, result.output
    return path


def test_add_by_rep_and_by_time_attach_to_reps(db: Path) -> None:
    by_rep = runner.invoke(app, ["--db", str(db), "lactate", "add", "1", "2.4", "--rep", "3"])
    assert by_rep.exit_code == 0, by_rep.output
    assert "set 1 rep 3" in by_rep.output
    with Store.open(db, read_only=True) as store:
        work = store.intervals([1]).filter(kind="work")
        offset = store.activity(1)["utc_offset_s"]  # type: ignore[index]
    # 30 s after rep 5 ended, in local time: attaches to rep 5
    end5 = work["end_utc"][4]
    local = end5.replace(microsecond=0) + __import__("datetime").timedelta(seconds=offset + 30)
    at = runner.invoke(app, ["--db", str(db), "lactate", "add", "1", "3.1", "--at",
                             local.strftime("%H:%M:%S")])  # fmt: skip
    assert at.exit_code == 0, at.output
    assert "set 1 rep 5" in at.output
    with Store.open(db, read_only=True) as store:
        stored = store.lactate_readings()
        assert stored["rep_no"].to_list() == [3, 5] and stored["source"].to_list() == ["manual"] * 2
        assert store.sessions([1])["intensity_basis"][0] == "lactate"
    shown = runner.invoke(app, ["--db", str(db), "lactate", "show", "1"], terminal_width=120)
    assert shown.exit_code == 0 and "lactate curve: +0.35 mmol/L per rep" in shown.output


def test_import_keeps_good_rows_and_exits_1_on_bad_ones(db: Path, tmp_path: Path) -> None:
    csv = tmp_path / "lactate.csv"
    csv.write_text("activity,rep,mmol,note\n1,1,2.1,\n1,2,x,\n1,9,2.5,\n1,6,3.0,last\n")
    result = runner.invoke(app, ["--db", str(db), "lactate", "import", str(csv)])
    assert result.exit_code == 1
    assert "line 3: mmol 'x' is not a number" in result.output
    assert "line 4: activity 1 has 6 reps, not 9" in result.output
    assert "stored 2 readings, 2 bad" in result.output
    with Store.open(db, read_only=True) as store:
        assert store.lactate_readings()["rep_no"].to_list() == [1, 6]


def test_usage_errors_are_one_line(db: Path) -> None:
    both = runner.invoke(app, ["--db", str(db), "lactate", "add", "1", "2.4"])
    assert both.exit_code == 2 and "exactly one of --rep" in both.output
    unknown = runner.invoke(app, ["--db", str(db), "lactate", "add", "7", "2.4", "--rep", "1"])
    assert unknown.exit_code == 2 and "no activity 7" in unknown.output
    silly = runner.invoke(app, ["--db", str(db), "lactate", "add", "1", "99", "--rep", "1"])
    assert silly.exit_code == 2 and "outside" in silly.output


def test_activities_json_carries_the_session_type(db: Path) -> None:
    rows = json.loads(runner.invoke(app, ["--db", str(db), "activities", "--json"]).stdout)
    # one run: no markers to estimate, so typed from itself (issue 13): 400 m reps with
    # jogs as long as the reps are vo2-type reps
    assert rows[0]["session_type"] == "vo2"
    assert rows[0]["structure"] == "6x400m/200m"


def test_add_that_cannot_be_placed_is_one_line_and_stores_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    steady = shared_path("fit/running/fnardmann__my_activity.fit")
    assert runner.invoke(app, ["--db", str(db), "import", str(steady)]).exit_code == 0
    with Store.open(db, read_only=True) as store:
        assert store.intervals([1]).filter(kind="work").is_empty()  # a run without reps
    result = runner.invoke(app, ["--db", str(db), "lactate", "add", "1", "2.0", "--rep", "1"])
    assert result.exit_code == 2, result.output
    assert "error: activity 1 has no reps to attach a reading to; give its time" in result.output
    assert "bad row" not in result.output
    with Store.open(db, read_only=True) as store:
        assert store.lactate_readings().is_empty()
