"""The `terskel` command line: each command loads config, opens the store, calls one function."""

from __future__ import annotations

import gc
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    app: typer.Typer

__all__ = ["app", "main"]
GC_YOUNG = 50_000  # allocations between young-generation collections (default 700)


# the module that registers each command (tests/test_startup.py checks it against the app)
MODULES = {
    "analyze": ("analysis",), "intervals": ("analysis",), "athlete": ("athlete",),
    "init": ("core",), "import": ("core",), "activities": ("core",), "demo": ("core",),
    "lactate": ("lactate",), "query": ("query",), "status": ("query",), "export": ("query",),
    "report": ("report",), "sessions": ("sessions",), "sync": ("sync",),
    "auth": ("sync", "garmin", "strava"),
}  # fmt: skip
# in the order that lists the commands as they always were (garmin imports sync first)
ALL_MODULES = (
    "analysis", "athlete", "core", "garmin", "lactate", "query", "report", "strava", "sync",
    "sessions",
)  # fmt: skip
VALUED_OPTIONS = ("--db", "--config", "--lock-wait")  # the global options that take a value


def __getattr__(name: str) -> Any:
    """`app` is built on first use: a `--help` replayed from its record never builds it."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _app_with(ALL_MODULES)


def _app_with(modules: tuple[str, ...]) -> Any:
    """The app with the commands of these modules registered (importing one registers it)."""
    from importlib import import_module

    for module in modules:
        import_module(f"terskel.cli.{module}")
    from terskel.cli.common import app

    return app


def command_modules(args: list[str]) -> tuple[str, ...]:
    """The modules the command in `args` needs: only its own, or all of them when the
    command line lists commands (top-level help, a typo's "no such command", completion)."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] in VALUED_OPTIONS:
            i += 2
        elif args[i].split("=", 1)[0] in VALUED_OPTIONS:
            i += 1
        else:  # --help, --version, completion: what they print may list every command
            return ALL_MODULES
    if i >= len(args) or args[i] not in MODULES or any(k.endswith("_COMPLETE") for k in os.environ):
        return ALL_MODULES
    return MODULES[args[i]]


def main() -> Any:
    """Console-script entry point; Ctrl-C ends with one line, not a traceback."""
    # Start-up imports (polars, pydantic, duckdb) leave ~60,000 objects that live on; at
    # the default threshold the collector runs ~150 times while they load, 50-80 ms CPU
    # of a 0.65 s `report week` (gc.callbacks). Rarer collections free the same cycles.
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
    # pydantic looks for plugins in every installed package's entry points the first time
    # it builds a validator (typer's, for each parameter): ~0.08 s CPU of every command;
    # terskel uses none. Set the variable to re-enable them.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from terskel.cli import replay

    args = sys.argv[1:]
    code = replay.replay(args)
    if code is not None:
        raise SystemExit(code)
    from terskel.cli.common import EXIT_INTERRUPTED, INTERRUPTED, err, hoist_global_options

    try:
        with replay.recording(args):
            args = hoist_global_options(args)
            # typer builds a click command for every registered command: register only this one
            return _app_with(command_modules(args))(args=args)
    except (KeyboardInterrupt, RuntimeError) as exc:
        # DuckDB turns a Ctrl-C during a query into RuntimeError("Query interrupted")
        if isinstance(exc, RuntimeError) and "interrupted" not in str(exc).lower():
            raise
        err.print(INTERRUPTED, highlight=False)
        raise SystemExit(EXIT_INTERRUPTED) from None
