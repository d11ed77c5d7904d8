"""`terskel athlete`: markers, their sources, the zone table, and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from terskel.cli import app

runner = CliRunner()

CONFIG = """
[athlete]
max_hr = 190
threshold_pace = "4:00/km"

[[athlete.thresholds]]
from = 2026-09-01
max_hr = 186
lt2_hr = 170
"""


def _run(tmp_path: Path, *args: str, config: str = CONFIG) -> str:
    path = tmp_path / "config.toml"
    path.write_text(config)
    db = tmp_path / "s.duckdb"
    runner.invoke(app, ["--db", str(db), "--config", str(path), "init"])
    result = runner.invoke(app, ["--db", str(db), "--config", str(path), "athlete", *args],
                           terminal_width=120)  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output


def test_markers_say_where_they_came_from_and_give_zones(tmp_path: Path) -> None:
    out = _run(tmp_path, "--on", "2026-08-01")
    assert "190 bpm" in out and "config" in out and "4:00/km" in out
    assert "unknown" in out  # resting HR: not set, not synced, no data
    assert "I3" in out and "156 bpm" in out  # 82 % of 190
    assert "threshold band, HR: 152-165 bpm (80-87 % of max HR)" in out


def test_a_dated_entry_takes_over_from_its_date(tmp_path: Path) -> None:
    doc = json.loads(_run(tmp_path, "--on", "2026-09-02", "--json"))
    assert doc["markers"]["max_hr"]["value"] == 186 and doc["markers"]["lt2_hr"]["value"] == 170
    assert doc["band"]["hr_band_basis"] == "lt2_hr"
    assert doc["zones"]["lthr5"]["edges"][0] == 144.5  # 85 % of 170


def test_no_markers_no_data_means_no_zones(tmp_path: Path) -> None:
    out = _run(tmp_path, config="[athlete]\n")
    assert "olympiatoppen: needs max HR" in out and "threshold band, HR: unknown" in out


def test_a_bad_pace_is_one_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[athlete]\nthreshold_pace = "4.00"\n')
    result = runner.invoke(app, ["--config", str(path), "--db", str(tmp_path / "s"), "athlete"])
    assert result.exit_code == 2 and "athlete.threshold_pace" in result.output


COROS = "history/coros-road-runner/"


def test_estimates_show_their_evidence_window_and_confidence(tmp_path: Path) -> None:
    from tests.conftest import shared_path

    folder = shared_path(COROS)
    names = sorted(p.name for p in folder.glob("*.fit"))[:12]
    db, config = tmp_path / "s.duckdb", tmp_path / "config.toml"
    config.write_text("[athlete]\n")
    # one import of the 12 files: the estimates read the same analysed runs as 12 imports
    paths = [str(folder / name) for name in names]
    imported = runner.invoke(
        app, ["--db", str(db), "--config", str(config), "import", "--workers", "1", *paths]
    )
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(app, ["--db", str(db), "--config", str(config), "athlete", "--on",
                                 "2026-04-10", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    lt2 = json.loads(result.stdout)["markers"]["lt2_hr"]
    assert lt2["source"] == "estimate" and lt2["evidence"].startswith("best 20 min of activity")
    assert "runs" in lt2["window"] and 0 < lt2["confidence"] <= 1
    text = runner.invoke(app, ["--db", str(db), "--config", str(config), "athlete", "--on",
                               "2026-04-10"], terminal_width=200)  # fmt: skip
    assert "conf." in text.output and f"{lt2['confidence']:.2f}" in text.output
    assert "best 20 min of activity" in text.output


def test_zones_recompute_alone_after_a_marker_changes(tmp_path: Path) -> None:
    from terskel.store import Store
    from tests.conftest import shared_path

    path = shared_path("fit/running/fnardmann__10024712104_ACTIVITY.fit")
    db, config = tmp_path / "s.duckdb", tmp_path / "config.toml"
    config.write_text("[athlete]\nmax_hr = 192\n")
    base = ["--db", str(db), "--config", str(config)]
    assert runner.invoke(app, [*base, "import", str(path)]).exit_code == 0
    with Store.open(db, read_only=True) as store:
        before = store.structures().row(0, named=True)
        assert store.sessions()["session_type"][0] == "vo2"
    config.write_text("[athlete]\nmax_hr = 230\n")  # reps now far under the band
    result = runner.invoke(app, [*base, "analyze", "--zones"])
    assert result.exit_code == 0 and "structure kept" in result.output, result.output
    with Store.open(db, read_only=True) as store:
        assert store.structures().row(0, named=True) == before  # not detected again
        assert store.sessions()["session_type"][0] == "easy"
        zones = store.zone_time(model="band_hr")
        assert set(zones["zone"]) == {"below"}


def test_the_band_top_places_the_i4_edge_when_above_87_percent(tmp_path: Path) -> None:
    # 2026-09-02: max HR 186 (87 % = 162), LT2 170: the LT2 band's top (170) wins
    doc = json.loads(_run(tmp_path, "--on", "2026-09-02", "--json"))
    edges = doc["zones"]["olympiatoppen"]["edges"]
    assert edges[2] == 170.0 and edges[3] == pytest.approx(0.92 * 186 * 170 / (0.87 * 186))
    assert "band wins" in doc["zones"]["olympiatoppen"]["rule"]
    text = _run(tmp_path, "--on", "2026-09-02")
    assert "zone edges: I3/I4 cut at the threshold band's top 170" in text
    # 2026-08-01: max HR 190 alone, band 80-87 % of it: the plain 87 % cut (165)
    doc = json.loads(_run(tmp_path, "--on", "2026-08-01", "--json"))
    assert doc["zones"]["olympiatoppen"]["edges"][2] == pytest.approx(0.87 * 190)
