"""Start-up: `terskel --help` (and every command's help) loads no heavy library."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("polars", "duckdb", "numpy", "pydantic", "pyarrow", "altair", "fitfast", "stravalib")

# Runs the console-script entry point in a fresh interpreter and reports what got loaded.
PROBE = """
import json, sys
sys.argv = ["terskel", *json.loads(sys.argv[1])]
from terskel.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)))
"""


def _loaded(*args: str) -> list[str]:
    code = PROBE.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(list(args))],
        capture_output=True,
        text=True,
        check=True,
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [("--help",), ("--version",)])
def test_top_level_help_loads_no_heavy_library(args: tuple[str, ...]) -> None:
    assert _loaded(*args) == []


@pytest.mark.parametrize("args", [("report", "--help"), ("sync", "--help"), ("query", "--list")])
def test_command_help_loads_no_data_library(args: tuple[str, ...]) -> None:
    # typer builds a pydantic TypeAdapter per parameter of a command it runs: pydantic is
    # typer's cost there, not ours
    assert [m for m in _loaded(*args) if m != "pydantic"] == []


def test_analyze_help_still_lists_the_session_rules() -> None:
    from typer.testing import CliRunner

    from terskel.analysis.sessions import RULES
    from terskel.cli import app

    result = CliRunner().invoke(app, ["analyze", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "Session types, first rule that matches" in result.output
    assert RULES[0] in result.output and RULES[-1].split(" ")[0] in result.output
