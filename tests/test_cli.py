"""The command line through typer's runner: help, exit codes, JSON, locations."""

from __future__ import annotations

import datetime as dt
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


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five bundled demo runs, imported once for the rough-edge tests below."""
    db = tmp_path_factory.mktemp("cli") / "s.duckdb"
    result = runner.invoke(app, ["--db", str(db), "import", str(DEMO_DATA), "--no-analyze"])
    assert result.exit_code == 0, result.output
    return db


def test_demo_shows_no_warning_about_its_own_samples() -> None:
    result = runner.invoke(app, ["demo"], terminal_width=120)
    assert result.exit_code == 0, result.output
    assert "damaged file" not in result.output and "warning" not in result.output


def test_import_of_a_file_that_is_not_fit_says_so(tmp_path: Path) -> None:
    notes = tmp_path / "MANIFEST.md"
    notes.write_text("# not a FIT file\n")
    result = runner.invoke(app, ["--db", str(tmp_path / "s.duckdb"), "import", str(notes)])
    assert result.exit_code == 2
    assert "MANIFEST.md: not a FIT file (.fit, .fit.gz) or a .zip archive" in result.output
    assert "no such file" not in result.output


@pytest.mark.parametrize(
    ("since", "first"),
    [("today", "2026-03-18"), ("yesterday", "2026-03-17"), ("7d", "2026-03-11"),
     ("2026-03-02", "2026-03-02"), ("2026-W09", "2026-02-23"), ("2026-w9", "2026-02-23")],
)  # fmt: skip
def test_since_takes_words_days_dates_and_weeks(since: str, first: str) -> None:
    from terskel.cli.core import parse_since

    assert parse_since(since, dt.date(2026, 3, 18)).isoformat() == first


def test_since_in_the_cli_and_its_error(demo_db: Path) -> None:
    listed = runner.invoke(
        app, ["--db", str(demo_db), "activities", "--json", "--since", "2020-W01"]
    )
    assert listed.exit_code == 0 and len(json.loads(listed.stdout)) == 2  # as since 2020-01-01
    recent = runner.invoke(app, ["--db", str(demo_db), "activities", "--since", "yesterday"])
    assert recent.exit_code == 0 and "no activities since" in recent.output
    bad = runner.invoke(app, ["--db", str(demo_db), "activities", "--since", "soon"])
    assert bad.exit_code == 2 and "use 2026-11-03, 2026-W45, today, yesterday or 7d" in bad.output
    assert "%Y" not in bad.output


def test_an_unknown_sport_lists_the_sports(demo_db: Path) -> None:
    result = runner.invoke(app, ["--db", str(demo_db), "activities", "--sport", "football"])
    assert result.exit_code == 2
    assert "no such sport in the store; it has running" in result.output
    assert "run (running)" in result.output


def test_global_options_after_the_command_are_accepted(demo_db: Path) -> None:
    from terskel.cli.common import hoist_global_options

    args = ["activities", "--db", "x.duckdb", "--json", "--config=c.toml"]
    assert hoist_global_options(args) == ["--db", "x.duckdb", "--config=c.toml", "activities",
                                          "--json"]  # fmt: skip
    assert hoist_global_options(["query", "select 1", "--", "--db"]) == [
        "query", "select 1", "--", "--db"]  # fmt: skip
    hoisted = hoist_global_options(["activities", "--json", "--db", str(demo_db)])
    result = runner.invoke(app, hoisted)
    assert result.exit_code == 0 and len(json.loads(result.stdout)) == 5


def test_query_pace_as_mss_no_rows_and_parquet_without_out(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = runner.invoke(app, ["--db", str(demo_db), "query", "longest_runs"], terminal_width=120)
    assert table.exit_code == 0
    row = next(line for line in table.output.splitlines() if "13.07" in line)
    assert "4:23" in row and "4.39" not in row  # 57:22 over 13.07 km
    empty = runner.invoke(app, ["--db", str(demo_db), "query", "SELECT 1 AS a WHERE false"])
    assert empty.exit_code == 0 and "no rows (a)" in empty.output
    monkeypatch.chdir(tmp_path)
    parquet = runner.invoke(app, ["--db", str(demo_db), "query", "longest_runs", "--format",
                                  "parquet"])  # fmt: skip
    assert parquet.exit_code == 0, parquet.output
    assert (tmp_path / "longest_runs.parquet").stat().st_size > 0
    assert "wrote 5 rows to longest_runs.parquet" in parquet.output


def test_help_pages_have_no_type_tags_on_flags_and_flow_their_text() -> None:
    query = runner.invoke(app, ["query", "--help"], terminal_width=100).output
    assert "<bool>" not in query and "KEY=VALUE" in query
    # the docstring's second paragraph is re-flowed to the width, not broken where the source is
    assert "saying what it answers, its parameters" in " ".join(query.split())
    lines = [line.rstrip() for line in query.splitlines()]
    first = next(i for i, line in enumerate(lines) if "Named queries" in line)
    last = next(i for i, line in enumerate(lines) if "athlete id." in line)
    assert all(len(line) >= 70 for line in lines[first:last])  # no ragged short lines
    activities = runner.invoke(app, ["activities", "--help"], terminal_width=100).output
    assert "<%Y-%m-%d>" not in activities and "WHEN" in activities
    strava = runner.invoke(app, ["auth", "strava", "--help"], terminal_width=100).output
    assert "<bool>" not in strava and "STRAVA_CLIENT_ID" in strava
