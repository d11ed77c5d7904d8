"""`terskel sync` messages: one line each, config names shown as written, no repeated source."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from terskel.cli import app

runner = CliRunner()


def _args(tmp_path: Path) -> list[str]:
    config = tmp_path / "config.toml"
    config.write_text('[athlete]\nid = "me"\n')
    return ["--db", str(tmp_path / "s.duckdb"), "--config", str(config)]


def test_nothing_to_sync_names_the_config_section(tmp_path: Path) -> None:
    result = runner.invoke(app, [*_args(tmp_path), "sync"])
    assert result.exit_code == 2, result.output
    # "[sync]" is text, not rich markup to be swallowed
    assert "or set [sync] folders in the config" in result.output


def test_missing_login_names_the_source_once(tmp_path: Path) -> None:
    result = runner.invoke(app, [*_args(tmp_path), "sync", "--source", "garmin"])
    assert result.exit_code == 3, result.output
    assert "garmin: not signed in to Garmin Connect" in result.output
    assert "garmin: garmin:" not in result.output
