"""The `terskel` command line: each command loads config, opens the store, calls one function."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    app: typer.Typer

__all__ = ["app", "main", "run"]
GC_YOUNG = 200_000  # allocations between young-generation collections (default 700)


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
    # At 50,000 a one-file import still ran two (~0.03 s CPU, freeing ~750 objects):
    # one during polars' import, one on its new run's samples read as rows.
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
    # pydantic looks for plugins in every installed package's entry points the first time
    # it builds a validator (typer's, for each parameter): ~0.08 s CPU of every command;
    # terskel uses none. Set the variable to re-enable them.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # numpy's OpenBLAS starts a thread per core when numpy loads (~0.02 s CPU of a one-file
    # import); terskel calls no BLAS routine (no matrix products, no linalg), so one is
    # enough. Set the variable to give it more.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from terskel.cli import replay

    args = sys.argv[1:]
    code = replay.replay(args)
    if code is not None:
        raise SystemExit(code)
    from terskel.cli.common import (
        EXIT_INTERRUPTED,
        EXIT_PARTIAL,
        INTERRUPTED,
        err,
        hoist_global_options,
    )

    try:
        with replay.recording(args):
            args = hoist_global_options(args)
            # typer builds a click command for every registered command: register only this one
            return _app_with(command_modules(args))(args=args)
    except (KeyboardInterrupt, RuntimeError) as exc:
        if _worker_died(exc):  # a pool's worker killed (OOM killer, kill -9) mid-analysis
            err.print(f"[bold red]error:[/bold red] {WORKER_DIED}", highlight=False)
            raise SystemExit(EXIT_PARTIAL) from None
        # DuckDB turns a Ctrl-C during a query into RuntimeError("Query interrupted")
        if isinstance(exc, RuntimeError) and "interrupted" not in str(exc).lower():
            raise
        err.print(INTERRUPTED, highlight=False)
        raise SystemExit(EXIT_INTERRUPTED) from None


WORKER_DIED = (
    "a worker process died (killed, or out of memory); what was saved is kept: "
    "run the same command again to go on"
)


def _worker_died(exc: BaseException) -> bool:
    """Whether `exc` is a process pool's broken state (concurrent.futures is loaded only
    when a pool ran: nothing to import here for the other commands)."""
    futures = sys.modules.get("concurrent.futures")
    return futures is not None and isinstance(exc, futures.BrokenExecutor)


def run() -> Any:
    """The `terskel` script and `python -m terskel`: `main`, then the process ends at once.

    `main` ends in SystemExit, after which the interpreter's teardown frees what polars,
    numpy and DuckDB built: ~0.07 s of CPU after every command that loaded them (~0.1 s
    wall of a one-file nightly import's ~1 s), for memory the kernel takes back anyway.
    `main` itself still raises (for callers that carry on, as tests do)."""
    try:
        return main()
    except SystemExit as done:
        _end_now(done.code)
        raise


def _end_now(code: object) -> None:
    """Exit with `code` now, without the interpreter's teardown.

    Output is flushed and the atexit functions run first, as at a normal exit (the store
    is closed by then: every command closes it). Returns, leaving the normal exit to
    follow, for a code Python prints (not an int), while another Python thread runs (a
    normal exit waits for it), or when output cannot be flushed (a closed pipe: the
    normal exit reports it)."""
    import atexit
    import threading

    status = 0 if code is None else code
    if not isinstance(status, int) or threading.active_count() > 1:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # closed, or no stream (None)
        return
    atexit._run_exitfuncs()
    with contextlib.suppress(OSError, ValueError, AttributeError):  # an atexit function's output
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)
