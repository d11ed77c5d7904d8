"""The runner's word: `sessions ID --type` and `intervals ID --set`, kept through rebuilds."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from terskel.analysis.corrections import LabelError, parse_label
from terskel.cli import app
from terskel.store import Store
from tests.conftest import shared_path

runner = CliRunner()
FILE = "fit/running/fnardmann__10024712104_ACTIVITY.fit"  # 6x400m/200m


@pytest.mark.parametrize(
    ("text", "label", "reps"),
    [
        ("5x1km/2min", "5x1km/2min", 5),
        ("6x400m/200m + 1x1km", "6x400m/200m + 1x1km", 7),
        ("  6X400m/200m+4x200m/200m ", "6x400m/200m + 4x200m/200m", 10),
        ("6-8x1km/2min", "6-8x1km/2min", 8),
        ("3x10min/60s", "3x10min/60s", 3),
        ("4x1:30/1:00", "4x1:30/1:00", 4),
        ("400-800-1200-800-400m/200m", "400-800-1200-800-400m/200m", 5),
        ("continuous", "continuous", 0),
        ("Fartlek", "fartlek", 0),
    ],
)
def test_labels_in_the_grammar_parse(text: str, label: str, reps: int) -> None:
    assert parse_label(text) == (label, reps)


@pytest.mark.parametrize("text", ["5x1kmm/2min", "x400m", "5x", "1km", "5x1km//2min", "0x1km", ""])
def test_labels_outside_the_grammar_fail_in_one_line(text: str) -> None:
    with pytest.raises(LabelError) as info:
        parse_label(text)
    assert "\n" not in str(info.value) and "NxDIST/REST" in str(info.value)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config.toml"
    config.write_text("[athlete]\nmax_hr = 192\n")  # the 400 m reps (HR ~170) are vo2
    monkeypatch.setenv("TERSKEL_CONFIG", str(config))
    path = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["--db", str(path), "import", str(shared_path(FILE))]).exit_code == 0
    return path


def _session(db: Path) -> dict[str, object]:
    with Store.open(db, read_only=True) as store:
        row = store.sessions([1]).row(0, named=True)
        label = store.structures([1]).row(0, named=True)
    keep = ("structure", "reason")
    return {"type": row["session_type"], **{k: row[k] for k in keep}, **label}


def test_a_type_correction_beats_the_rules_and_survives_a_rebuild(db: Path) -> None:
    before = _session(db)["type"]
    assert before == "vo2"
    result = runner.invoke(app, ["--db", str(db), "sessions", "1", "--type", "easy"])
    assert result.exit_code == 0, result.output
    assert "1: easy (user)" in result.output
    assert runner.invoke(app, ["--db", str(db), "analyze", "--rebuild"]).exit_code == 0
    after = _session(db)
    assert after["type"] == "easy"
    assert str(after["reason"]).startswith(f"set by you (the rules said {before}")
    listed = runner.invoke(app, ["--db", str(db), "sessions"], terminal_width=120)
    assert "type" in listed.output and "easy" in listed.output
    cleared = runner.invoke(app, ["--db", str(db), "sessions", "1", "--clear"])
    assert cleared.exit_code == 0 and f"1: {before} (rules)" in cleared.output
    assert "no corrections stored" in runner.invoke(app, ["--db", str(db), "sessions"]).output


def test_a_bad_type_is_one_line_and_exit_2(db: Path) -> None:
    result = runner.invoke(app, ["--db", str(db), "sessions", "1", "--type", "tempoo"])
    assert result.exit_code == 2 and "use one of easy, long" in result.output
    missing = runner.invoke(app, ["--db", str(db), "sessions", "9", "--type", "easy"])
    assert missing.exit_code == 2 and "no activity 9" in missing.output


def test_a_structure_correction_beats_detection_and_feeds_typing(db: Path) -> None:
    assert _session(db)["label"] == "6x400m/200m"
    result = runner.invoke(app, ["--db", str(db), "intervals", "1", "--set", "continuous"])
    assert result.exit_code == 0, result.output
    assert "structure continuous (source user, confidence 1)" in result.output
    assert runner.invoke(app, ["--db", str(db), "analyze", "--rebuild"]).exit_code == 0
    shown = runner.invoke(app, ["--db", str(db), "intervals", "1"], terminal_width=120)
    assert "your structure: continuous (source user" in shown.output
    fixed = _session(db)
    assert (fixed["label"], fixed["source"], fixed["n_work"]) == ("continuous", "user", 0)
    assert fixed["structure"] == "continuous"
    assert fixed["type"] != "vo2", fixed["reason"]  # no reps left to make it vo2
    assert (
        runner.invoke(app, ["--db", str(db), "intervals", "1", "--set", "6x400m/200m"]).exit_code
        == 0
    )
    assert _session(db)["structure"] == "6x400m/200m"
    bad = runner.invoke(app, ["--db", str(db), "intervals", "1", "--set", "6x400mm"])
    assert bad.exit_code == 2 and "is not NxDIST/REST" in bad.output and bad.output.count("\n") == 1
    cleared = runner.invoke(app, ["--db", str(db), "intervals", "1", "--clear"])
    assert cleared.exit_code == 0, cleared.output
    back = _session(db)
    assert (back["label"], back["source"]) == ("6x400m/200m", "laps")
