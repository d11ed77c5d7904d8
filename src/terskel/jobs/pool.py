"""The import's decoding worker processes, which the CLI starts before it opens the store.

Its own module, of the standard library only, so that importing it costs the CLI next to
nothing: a spawned worker's start-up (a Python, then the decoder's imports: ~0.3 s of CPU
each) then runs on the other core beside this process's own (config, DuckDB, polars, the
store: ~0.5 s), instead of after it, while one core idled (`bench/import_throughput.py`).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from terskel.jobs.interrupts import sigterm_held

if TYPE_CHECKING:  # the pool loads only when workers decode (not for a nightly's one file)
    from concurrent.futures import ProcessPoolExecutor

# Below this many files, worker start-up costs more than it saves.
MIN_FILES_FOR_WORKERS = 8
# How often a worker looks whether the CLI that started it is still there.
PARENT_CHECK_S = 0.5


class WorkerDied(Exception):
    """A worker process died mid-import (killed: out of memory, a kill -9, a decoder
    that crashed its process); what was saved before stays, the next import goes on."""

    def __init__(self, in_flight: list[str]) -> None:
        shown = ", ".join(in_flight[:3]) + (
            f" and {len(in_flight) - 3} more" if len(in_flight) > 3 else ""
        )
        where = f" while reading {shown}" if in_flight else ""
        super().__init__(
            f"a worker process died{where} (killed, or out of memory); the files saved "
            "before are kept: run the same import again to go on"
        )


def default_workers() -> int:
    """Worker processes: one per core this process may use."""
    return max(1, len(os.sched_getaffinity(0)))


def wanted_workers(workers: int | None, files: int | None) -> int:
    """How many decoding processes an import of `files` files starts (0 or 1: none)."""
    count = workers if workers is not None else default_workers()
    if count <= 1 or (files is not None and files < MIN_FILES_FOR_WORKERS):
        return 0
    return count


@contextmanager
def decoding_pool(workers: int, warm: bool = False) -> Iterator[ProcessPoolExecutor]:
    """Worker processes that decode (and, between batches, detect structure: see
    `ingest.import_paths`); stopped at once when the import raises, Ctrl-C and SIGTERM
    included. `warm`: every worker is started now and imports the decoder at once, not
    when the first files are sent."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: polars' and DuckDB's threads make fork unsafe
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_end_with_parent,
        initargs=(os.getpid(),),
    )
    try:
        if warm:
            _warm(pool, workers)
        yield pool
    except BaseException:
        stop_workers(pool)
        raise
    # not waited for: the workers finish what is queued and exit while this process
    # goes on (the analysis after the import); waiting cost 0.5-0.8 s on 2 busy cores
    pool.shutdown(wait=False)


def _warm(pool: ProcessPoolExecutor, workers: int) -> None:
    """Start every worker now, each importing the decoder (a spawn-context pool starts one
    process per task sent while none is idle: each of these is sent before any is done)."""
    with launching():
        for _ in range(workers):
            pool.submit(_import_decoder)


def _end_with_parent(parent: int) -> None:
    """A worker's start: a thread that ends the worker once `parent` (the CLI) is gone.

    A worker waits for its next task on a queue whose writing end every worker holds too,
    so the CLI's death (kill -9, the OOM killer) never ends it: it idled on, holding the
    CLI's stdout and stderr (a caller reading them to their end, as `subprocess.run` does,
    waited for ever: the pipelined import's kill test after a save_structures commit, which
    comes while the workers still model the last batch)."""
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


def _import_decoder() -> None:
    """A worker's first task: the decoder's imports (here, not in the CLI: this module is
    all the CLI imports to send it)."""
    import terskel.jobs.decoding  # noqa: F401


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and end the workers now (Ctrl-C, SIGTERM, a save error)."""
    # ProcessPoolExecutor has no public way to stop busy workers before Python 3.14;
    # without this a SIGTERM left them decoding after terskel had gone.
    workers = list((getattr(pool, "_processes", None) or {}).values())  # None once shut down
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.terminate()
    for process in workers:
        process.join(timeout=5)


@contextmanager
def launching() -> Iterator[None]:
    """While workers may be spawned: SIGINT ignored, SIGTERM held until the spawn is done.

    Spawned workers inherit an ignored SIGINT (and Python then installs no handler),
    so a Ctrl-C in the terminal interrupts the parent, which cancels the pool, instead
    of printing a traceback from every worker. A SIGTERM raised (as `Terminated`) in the
    middle of a spawn left a worker started but never sent its start-up data, which
    printed `EOFError: Ran out of input` and was not among the workers to stop; it is
    raised once the worker is launched (and known to the pool), a few ms later.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with sigterm_held():
            yield
    finally:
        signal.signal(signal.SIGINT, previous)
