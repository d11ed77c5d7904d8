"""Implausible activities (damaged files that decode) are quarantined, never analysed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from terskel.cli import app
from terskel.sources.fit import decode
from terskel.sources.model import Session
from terskel.sources.plausibility import Bounds, implausible
from terskel.store import Store
from terskel.store.quarantine import quarantined
from tests.conftest import DEMO_DATA

runner = CliRunner()
NOW = dt.datetime(2026, 12, 1, 12, 0)
RUN = DEMO_DATA / "tormoder__0137001239.fit"  # 2019 treadmill run, ~12 km


@pytest.fixture(scope="module")
def run() -> Session:
    return decode(RUN.read_bytes()).sessions[0]


def test_a_real_run_is_plausible(run: Session) -> None:
    created = decode(RUN.read_bytes()).created_utc
    assert created is not None and abs((run.start_utc - created).total_seconds()) < 3600
    assert implausible(run, NOW, created) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"distance_m": 21_474_181.4}, "distance 21,474 km (limit 1,000 km)"),
        ({"elapsed_s": 2.8e9}, "elapsed time 32,407 days (limit 48.0 h)"),
        ({"start_utc": dt.datetime(1989, 12, 31)}, "dated 1989-12-31, before 2000"),
        ({"start_utc": dt.datetime(2027, 1, 1)}, "dated 2027-01-01, in the future"),
        ({"distance_m": 50_000.0, "timer_s": 3000.0}, "average speed 16.7 m/s for running"),
        ({"distance_m": -5.0}, "distance -0 km"),
    ],
)
def test_each_bound_names_itself(run: Session, change: dict[str, object], reason: str) -> None:
    found = implausible(dataclasses.replace(run, **change), NOW)  # type: ignore[arg-type]
    assert found is not None and found.startswith(reason)


def test_a_start_days_after_the_file_was_created_is_implausible(run: Session) -> None:
    created = run.start_utc - dt.timedelta(days=3)
    assert "days after its file was created" in (implausible(run, NOW, created) or "")
    assert implausible(run, NOW, run.start_utc - dt.timedelta(hours=20)) is None


def test_bounds_are_arguments(run: Session) -> None:
    strict = Bounds(max_distance_m=5_000)
    assert "limit 5 km" in (implausible(run, NOW, None, strict) or "")


def test_cycling_may_be_faster_than_running(run: Session) -> None:
    fast = dataclasses.replace(run, distance_m=50_000.0, timer_s=3000.0, sport="cycling")
    assert implausible(fast, NOW) is None


def _damaged(tmp_path: Path) -> Path:
    """A real run with 512 bytes zeroed at 4,991: salvaged into 1989 and 11,295 days."""
    data = RUN.read_bytes()
    path = tmp_path / "damaged.fit"
    path.write_bytes(data[:4991] + bytes(512) + data[5503:])
    return path


def test_a_salvaged_file_with_impossible_values_is_quarantined(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    damaged = _damaged(folder)
    fit = decode(damaged.read_bytes())
    reason = implausible(fit.sessions[0], NOW, fit.created_utc) or ""
    assert (
        reason.startswith("dated 1989-12-31, before 2000") and "elapsed time 11,295 days" in reason
    )
    (folder / "good.fit").write_bytes((DEMO_DATA / "heartandsole__3981100861.fit").read_bytes())
    db = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["--db", str(db), "import", str(folder)])
    assert result.exit_code == 1, result.output
    assert "quarantined 1 (implausible values)" in result.output
    assert "quarantined" in result.output and "damaged.fit" in result.output
    listed = runner.invoke(app, ["--db", str(db), "activities", "--json"])
    rows = json.loads(listed.output)
    assert len(rows) == 1 and rows[0]["start_local"].startswith("20")
    held = runner.invoke(app, ["--db", str(db), "activities", "--quarantined", "--json"])
    (row,) = json.loads(held.output)
    assert row["path"].endswith("damaged.fit") and row["reason"]
    table = runner.invoke(app, ["--db", str(db), "activities", "--quarantined"])
    assert "1 quarantined activities" in table.output
    with Store.open(db, read_only=True) as store:
        assert quarantined(store).height == 1
        assert store.scalar("SELECT count(*) FROM structures") <= 1  # only the good run
        log = store.import_log()
        assert "quarantined" in log["status"].to_list()
        content = store.scalar("SELECT content FROM quarantine")
        assert content == damaged.read_bytes()  # nothing is lost
