"""The `terskel` command line: each command loads config, opens the store, calls one function."""

from __future__ import annotations

from typing import Any

from terskel.cli import analysis, athlete, core, garmin, lactate, query, report, strava, sync  # noqa: F401  (registers the commands)
from terskel.cli.common import app

__all__ = ["app", "main"]


def main() -> Any:
    """Console-script entry point."""
    return app()
