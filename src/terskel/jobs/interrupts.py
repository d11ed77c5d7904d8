"""SIGTERM (cron's timeout, systemd, `kill`) handled like Ctrl-C, wherever it lands.

Shared by the commands that write (`import`, `sync`); of the standard library only, so
that importing it costs next to nothing (jobs/pool.py imports it before the store opens).
A job that catches `Exception` to go on after one bad item asks `interrupted(exc)` first:
an interrupt that lands in a DuckDB query comes out as an ordinary error (see
`sigterm_as_interrupt`), and must stop the job, not be counted as that item's failure.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

# Every SIGTERM that a `sigterm_as_interrupt` block raised, this process: a block's
# `arrived()` looks here, so that the SIGTERMs of a block nested in it count too (the
# import of a sync's watched folders).
_ARRIVALS: list[int] = []


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived during a command; handled like Ctrl-C: workers stopped, the store
    closed; the command exits 143 (the README's *Exit codes*)."""


@contextmanager
def sigterm_as_interrupt() -> Iterator[Callable[[], bool]]:
    """Turn SIGTERM into `Terminated` so workers are stopped and the store closed cleanly;
    yields `arrived()`: whether a SIGTERM or a Ctrl-C has arrived in the block (for
    `interrupted`).

    The handler raises wherever the main thread is. In a DuckDB query that is DuckDB's own
    check for signals, which drops the exception raised and raises RuntimeError("Query
    interrupted") in its place (the query, and its transaction, rolled back): the CLI took
    that for a Ctrl-C (exit 130), and a layer that handles errors could swallow it. So once
    a SIGTERM has arrived, whatever the block raises (`Exception` or `KeyboardInterrupt`) is
    raised as `Terminated`, from it; and a block that ends without an error (its SIGTERM
    swallowed on the way) ends as `Terminated` too. A Ctrl-C (while SIGINT has Python's
    own handler) is recorded the same way and ends the block as `KeyboardInterrupt`."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    before = len(_ARRIVALS)

    def arrived() -> bool:
        return len(_ARRIVALS) > before

    def terminated() -> bool:
        return signal.SIGTERM in _ARRIVALS[before:]

    def _raise(signum: int, _frame: FrameType | None) -> None:
        _ARRIVALS.append(signum)
        raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()

    previous = signal.signal(signal.SIGTERM, _raise)
    # not when SIGINT is ignored (nohup) or already recorded (a block nested in another)
    ctrl_c = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if ctrl_c:
        signal.signal(signal.SIGINT, _raise)
    try:
        yield arrived
    except Terminated:
        raise
    except (Exception, KeyboardInterrupt) as exc:
        if terminated():
            raise Terminated() from exc
        if arrived() and not isinstance(exc, KeyboardInterrupt):
            raise KeyboardInterrupt() from exc
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        if ctrl_c:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    if terminated():
        raise Terminated()
    if arrived():
        raise KeyboardInterrupt()


def interrupted(exc: BaseException, arrived: Callable[[], bool] = lambda: False) -> bool:
    """Whether `exc` is (or was raised while handling) a Ctrl-C or SIGTERM, or came while
    one had `arrived` (a DuckDB query's RuntimeError, whose interrupt DuckDB dropped): an
    error handler that goes on after a failure raises these on instead."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return arrived()


@contextmanager
def sigterm_held() -> Iterator[None]:
    """A SIGTERM that `sigterm_as_interrupt` would raise in the block is raised at its end.

    For steps that must not be cut part-way: a worker's spawn (`pool.launching`); a writer's
    migrations, and all of a new store's opening (~0.1 s from the file's creation on:
    `Store.open(upgrading=...)`), which cut part-way left an empty file or one at an early
    schema, refused by every reading command until a writing one had run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    terminate = signal.getsignal(signal.SIGTERM)
    if not callable(terminate):  # not `sigterm_as_interrupt`'s: SIGTERM ends the process
        yield
        return
    held: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, terminate)
        if held:  # `Terminated`, and the SIGTERM counted as arrived
            terminate(signal.SIGTERM, None)
