"""The command line through typer's runner: help, exit codes, JSON, locations."""

from __future__ import annotations

import gzip
import io
import json
import stat
import zipfile
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from terskel.cli import app
from tests.conftest import DEMO_DATA, ROOT, TEST_DATA

runner = CliRunner()


def _commands() -> list[str]:
    group = get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output and len(result.output) > 200


def test_top_level_help_teaches_where_to_start() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "terskel demo" in result.output


def test_import_then_activities_json(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["--db", str(db), "import", str(DEMO_DATA)])
    assert result.exit_code == 0, result.output
    assert "imported 5" in result.output
    listed = runner.invoke(app, ["--db", str(db), "activities", "--json", "--sport", "running"])
    rows = json.loads(listed.stdout)
    assert len(rows) == 5
    treadmill = next(r for r in rows if r["sub_sport"] == "indoor_running")
    assert treadmill["distance_m"] == pytest.approx(13068, abs=1)
    assert treadmill["start"].endswith("Z") and treadmill["sources"] == ["fit"]
    assert set(rows[0]) >= {
        "id",
        "start",
        "start_local",
        "sport",
        "distance_m",
        "duration_s",
        "avg_hr",
        "sources",
    }
    alias = runner.invoke(app, ["--db", str(db), "activities", "--json", "--sport", "run"])
    assert len(json.loads(alias.stdout)) == 5
    since = runner.invoke(app, ["--db", str(db), "activities", "--json", "--since", "2020-01-01"])
    assert len(json.loads(since.stdout)) == 2


def test_table_shows_date_local_start_and_pace(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    runner.invoke(app, ["--db", str(db), "import", str(DEMO_DATA / "tormoder__0137001239.fit")])
    result = runner.invoke(app, ["--db", str(db), "activities"], terminal_width=120)
    assert "2020-12-03" in result.output and "Thu 06:49" in result.output
    assert "4:23" in result.output and "(treadmill)" in result.output


def test_table_fits_80_columns(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    runner.invoke(app, ["--db", str(db), "import", str(DEMO_DATA)])
    result = runner.invoke(app, ["--db", str(db), "activities"], terminal_width=80)
    rows = [line for line in result.output.splitlines() if "2020-12-03" in line]
    assert len(rows) == 1 and "13.07" in rows[0] and "57:22" in rows[0] and "4:23" in rows[0]
    assert all(len(line) <= 80 for line in result.output.splitlines())


def test_failed_files_give_exit_1_and_one_line_each(tmp_path: Path) -> None:
    bad = tmp_path / "bad.fit"
    bad.write_bytes(b"not a fit file at all")
    empty = tmp_path / "empty.fit"
    empty.write_bytes(b"")
    good = TEST_DATA / "fitparse_rs__ZeroHeaderCrc.fit"
    result = runner.invoke(
        app, ["--db", str(tmp_path / "s.duckdb"), "import", str(tmp_path), str(good)]
    )
    assert result.exit_code == 1
    assert "imported 1" in result.output and "failed 2" in result.output
    assert "bad.fit: not a FIT file" in result.output
    assert "empty.fit: empty file" in result.output
    assert "Traceback" not in result.output


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "s.duckdb"), "import", "nope.fit"])
    assert result.exit_code == 2 and "nope.fit: no such file or folder" in result.output


def test_zip_nested_zip_and_fit_gz(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.write(DEMO_DATA / "workoutizer__with_nones.fit", "UploadedFiles/1.fit")
        archive.writestr("UploadedFiles/notes.txt", "ignored")
    export = tmp_path / "garmin-export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr(
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip", inner.getvalue()
        )
        archive.writestr(
            "activities/2.fit.gz",
            gzip.compress((DEMO_DATA / "tormoder__0137001239.fit").read_bytes()),
        )
    result = runner.invoke(app, ["--db", str(tmp_path / "s.duckdb"), "import", str(export)])
    assert result.exit_code == 0, result.output
    assert "imported 2" in result.output


def test_init_writes_a_private_config_and_creates_the_store(tmp_path: Path) -> None:
    config = tmp_path / "conf" / "config.toml"
    db = tmp_path / "data" / "t.duckdb"
    result = runner.invoke(app, ["--config", str(config), "--db", str(db), "init"])
    assert result.exit_code == 0, result.output
    assert config.read_text() == (ROOT / "config.example.toml").read_text()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert db.exists()
    again = runner.invoke(app, ["--config", str(config), "--db", str(db), "init"])
    assert again.exit_code == 0 and "kept" in again.output


def test_environment_variables_choose_the_files(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    db = tmp_path / "from-config.duckdb"
    config.write_text(f'[store]\npath = "{db}"\n[athlete]\ntimezone = "Europe/Oslo"\n')
    env = {"TERSKEL_CONFIG": str(config)}
    runner.invoke(app, ["import", str(TEST_DATA / "fitparse_rs__ZeroHeaderCrc.fit")], env=env)
    assert db.exists()
    other = tmp_path / "from-env.duckdb"
    env["TERSKEL_DB"] = str(other)
    runner.invoke(app, ["import", str(TEST_DATA / "fitparse_rs__ZeroHeaderCrc.fit")], env=env)
    assert other.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[athlete\nid = 1", "not valid TOML"),
        ('[athlete]\ntimezone = "Mars/Olympus"', "athlete.timezone: unknown time zone"),
        ("[athlete]\nmax_hr_typo = 190", "athlete.max_hr_typo: unknown setting"),
    ],
)
def test_bad_config_is_one_line_and_exit_2(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(content)
    result = runner.invoke(
        app, ["--config", str(config), "--db", str(tmp_path / "s.duckdb"), "activities"]
    )
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_explicit_missing_config_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--config", str(tmp_path / "none.toml"), "activities"])
    assert result.exit_code == 2 and "config file not found" in result.output


def test_activities_on_a_missing_store_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "none.duckdb"), "activities"])
    assert result.exit_code == 2 and "terskel import" in result.output


def test_demo_runs_without_any_setup() -> None:
    result = runner.invoke(app, ["demo"], terminal_width=120)
    assert result.exit_code == 0, result.output
    assert "imported 9" in result.output and "13.07" in result.output


def test_packaged_example_config_is_the_documented_one() -> None:
    packaged = ROOT / "src" / "terskel" / "config.example.toml"
    assert packaged.read_text() == (ROOT / "config.example.toml").read_text()
