"""The `terskel` command line: each command loads config, opens the store, calls one function."""

from __future__ import annotations

import sys
from typing import Any

from terskel.cli import analysis, athlete, core, garmin, lactate, query, report, strava, sync  # noqa: F401  (registers the commands)
from terskel.cli import sessions as _sessions  # noqa: F401  (registers `sessions`)
from terskel.cli.common import EXIT_INTERRUPTED, INTERRUPTED, app, err, hoist_global_options

__all__ = ["app", "main"]


def main() -> Any:
    """Console-script entry point; Ctrl-C ends with one line, not a traceback."""
    try:
        return app(args=hoist_global_options(sys.argv[1:]))
    except (KeyboardInterrupt, RuntimeError) as exc:
        # DuckDB turns a Ctrl-C during a query into RuntimeError("Query interrupted")
        if isinstance(exc, RuntimeError) and "interrupted" not in str(exc).lower():
            raise
        err.print(INTERRUPTED, highlight=False)
        raise SystemExit(EXIT_INTERRUPTED) from None
