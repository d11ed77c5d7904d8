"""The `terskel` command line: each command loads config, opens the store, calls one function."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    app: typer.Typer

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    """`app` is built on first use: a `--help` replayed from its record never builds it."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from terskel.cli import analysis, athlete, core, garmin, lactate, query, report, strava, sync  # noqa: F401  (registers the commands)
    from terskel.cli import sessions as _sessions  # noqa: F401  (registers `sessions`)
    from terskel.cli.common import app

    return app


def main() -> Any:
    """Console-script entry point; Ctrl-C ends with one line, not a traceback."""
    from terskel.cli import replay

    args = sys.argv[1:]
    code = replay.replay(args)
    if code is not None:
        raise SystemExit(code)
    from terskel.cli.common import EXIT_INTERRUPTED, INTERRUPTED, err, hoist_global_options

    try:
        with replay.recording(args):
            return __getattr__("app")(args=hoist_global_options(args))
    except (KeyboardInterrupt, RuntimeError) as exc:
        # DuckDB turns a Ctrl-C during a query into RuntimeError("Query interrupted")
        if isinstance(exc, RuntimeError) and "interrupted" not in str(exc).lower():
            raise
        err.print(INTERRUPTED, highlight=False)
        raise SystemExit(EXIT_INTERRUPTED) from None
