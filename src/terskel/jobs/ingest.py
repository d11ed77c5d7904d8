"""Import FIT inputs: decode in parallel worker processes, save one file per transaction."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from terskel.jobs.decoding import Decoded, decode_job
from terskel.jobs.import_summary import ImportSummary
from terskel.sources.files import FitInput, count_fit_inputs, iter_inputs
from terskel.sources.fit import sha256_of, uploads
from terskel.sources.plausibility import implausible
from terskel.store import Store, Upload
from terskel.store.import_log import ImportLog
from terskel.store.quarantine import quarantine

if TYPE_CHECKING:  # the pool loads only when workers decode (not for a nightly's one file)
    from concurrent.futures import Executor, Future, ProcessPoolExecutor

# Below this many files, worker start-up costs more than it saves.
MIN_FILES_FOR_WORKERS = 8
# Files per write transaction: each file lands whole or not at all, and a batch
# amortises DuckDB's per-statement and per-commit cost over many files.
BATCH_FILES = 32
BATCH_SAMPLES = 500_000
# Files in flight (decoding or decoded, not yet saved) per worker: with a batch's worth
# the workers decode the next batch while this process saves one and detects its
# structure, instead of idling once a few files wait (4 per worker did).
IN_FLIGHT_PER_WORKER = BATCH_FILES // 2


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived during an import; handled like Ctrl-C (workers stopped, exit 143)."""


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


def count_inputs(paths: list[Path]) -> int:
    """How many FIT files `iter_inputs` will yield, plus a Strava export's other rows."""
    if not any(_may_be_export(p) for p in paths):  # a nightly's files: no export to read
        return count_fit_inputs(paths)
    from terskel.sources.strava_export import count_other_rows, is_strava_export

    extra = sum(count_other_rows(p) for p in paths if is_strava_export(p))
    return count_fit_inputs(paths) + extra


def _may_be_export(path: Path) -> bool:
    """A folder or zip, which may hold a Strava export (strava_export.is_strava_export)."""
    return path.is_dir() or path.suffix.lower() == ".zip"


def import_paths(
    store: Store,
    paths: list[Path],
    *,
    fallback_tz: str | None = None,
    workers: int | None = None,
    total: int | None = None,
    on_file: Callable[[str], None] | None = None,
    now: dt.datetime | None = None,
    on_batch: Callable[[Executor], None] | None = None,
) -> ImportSummary:
    """Import every FIT file under `paths` into `store`; never stops on a bad file.

    `on_batch` runs after each batch of files is saved while worker processes decode the
    next ones (the CLI detects the new runs' structure there); not without workers. It
    gets their pool, which takes its work beside the decoding: processes already running,
    so a batch of a few runs pays no start-up, and no more processes than cores."""
    summary = ImportSummary()
    log = ImportLog(store)
    checks = _Checks(store, now or dt.datetime.now(dt.UTC).replace(tzinfo=None))
    with store.bulk_writes():  # one checkpoint at the end (store/checkpoints.py)
        try:
            with _sigterm_as_interrupt():
                _import_fit(
                    store,
                    log,
                    checks,
                    paths,
                    fallback_tz,
                    workers,
                    total,
                    summary,
                    on_file,
                    on_batch,
                )
                if any(_may_be_export(p) for p in paths):
                    # a Strava export's FIT files came through above; its GPX, TCX, summaries now
                    from terskel.jobs.ingest_export import import_exports

                    import_exports(store, paths, summary, fallback_tz, on_file, log, checks.now)
        finally:
            log.flush()
    return summary


def _import_fit(
    store: Store,
    log: ImportLog,
    checks: _Checks,
    paths: list[Path],
    fallback_tz: str | None,
    workers: int | None,
    total: int | None,
    summary: ImportSummary,
    on_file: Callable[[str], None] | None,
    on_batch: Callable[[Executor], None] | None = None,
) -> None:
    known = store.known_files()
    fresh = _new_inputs(log, iter_inputs(paths), known, summary, on_file)
    use_workers = workers if workers is not None else default_workers()
    if use_workers <= 1 or (total is not None and total < MIN_FILES_FOR_WORKERS):
        results: Generator[tuple[Decoded, bytes]] = (
            (decode_job(item.label, data, fallback_tz), data) for item, data in fresh
        )
        # nothing decodes meanwhile: the work is no sooner done here
        with closing(results):
            _save_all(store, log, checks, results, known, summary, on_file)
        return
    with _decoding_pool(use_workers) as pool:
        results = _decode_parallel(pool, fresh, fallback_tz, use_workers)
        batch_done = (lambda: on_batch(pool)) if on_batch else None
        # closed at once when saving (or the analysis between batches) raises, Ctrl-C and
        # SIGTERM included: the pool then stops its workers, not at its collection; a
        # worker dying in that analysis ends the command in cli.main, as in any command
        with closing(results):
            _save_all(store, log, checks, results, known, summary, on_file, batch_done)


@dataclass(frozen=True)
class _Checks:
    """What plausibility checks compare against: the store to quarantine in, and now."""

    store: Store
    now: dt.datetime  # naive UTC

    def hold_back(
        self, found: list[Upload], created_utc: dt.datetime | None, summary: ImportSummary
    ) -> list[Upload]:
        """Uploads that may be stored; implausible ones are quarantined and counted."""
        keep, held = [], []
        for upload in found:
            reason = implausible(upload.session, self.now, created_utc)
            if reason is None:
                keep.append(upload)
            else:
                held.append((upload, reason))
                summary.quarantined.append((upload.path or upload.source_id, reason))
        quarantine(self.store, held)
        return keep


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into `Terminated` so workers are stopped and the store closed cleanly."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(_signum: int, _frame: FrameType | None) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _new_inputs(
    log: ImportLog,
    inputs: Iterator[FitInput],
    known: set[str],
    summary: ImportSummary,
    on_file: Callable[[str], None] | None,
) -> Iterator[tuple[FitInput, bytes]]:
    """Inputs not seen before; unreadable and already-present ones are counted here.

    Bytes met twice in one import are decoded once, from the first path in input order:
    which copy is stored (its path) must not follow which worker finishes first."""
    queued: set[str] = set()
    for item in inputs:
        if item.data is None:
            _record_failure(log, summary, item.label, None, item.error or "unreadable")
        elif (sha := sha256_of(item.data)) in known or sha in queued:
            summary.present += 1
        else:
            queued.add(sha)
            yield item, item.data
            continue
        if on_file:
            on_file(item.label)


@contextmanager
def _decoding_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """Worker processes that decode (and, between batches, detect structure: see
    `import_paths`); stopped at once when the import raises, Ctrl-C and SIGTERM included."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: polars' and DuckDB's threads make fork unsafe
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        yield pool
    except BaseException:
        _stop_workers(pool)
        raise
    # not waited for: the workers finish what is queued and exit while this process
    # goes on (the analysis after the import); waiting cost 0.5-0.8 s on 2 busy cores
    pool.shutdown(wait=False)


def _decode_parallel(
    pool: ProcessPoolExecutor,
    inputs: Iterator[tuple[FitInput, bytes]],
    fallback_tz: str | None,
    workers: int,
) -> Generator[tuple[Decoded, bytes]]:
    """Decode in the worker processes, keeping a bounded number of files in flight;
    WorkerDied, naming them, when a worker dies."""
    from concurrent.futures import FIRST_COMPLETED, BrokenExecutor

    window = workers * IN_FLIGHT_PER_WORKER
    pending: dict[Future[Decoded], tuple[str, bytes]] = {}
    try:
        for item, data in inputs:
            with _launching():  # a worker started now inherits an ignored SIGINT: Ctrl-C is ours
                future = pool.submit(decode_job, item.label, data, fallback_tz)
            pending[future] = (item.label, data)
            if len(pending) >= window:
                yield from _drain(pending, FIRST_COMPLETED)
        while pending:
            yield from _drain(pending, FIRST_COMPLETED)
    except BrokenExecutor as exc:
        raise WorkerDied([label for label, _ in pending.values()]) from exc


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and end the workers now (Ctrl-C, SIGTERM, a save error)."""
    # ProcessPoolExecutor has no public way to stop busy workers before Python 3.14;
    # without this a SIGTERM left them decoding after terskel had gone.
    workers = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.terminate()
    for process in workers:
        process.join(timeout=5)


@contextmanager
def _launching() -> Iterator[None]:
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
    terminate = signal.getsignal(signal.SIGTERM)
    held: list[int] = []
    if callable(terminate):  # `_sigterm_as_interrupt`'s: held
        signal.signal(signal.SIGTERM, lambda signum, _frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if callable(terminate):
            signal.signal(signal.SIGTERM, terminate)
            if held:
                terminate(signal.SIGTERM, None)


def _drain(
    pending: dict[Future[Decoded], tuple[str, bytes]], when: str
) -> Iterator[tuple[Decoded, bytes]]:
    from concurrent.futures import wait

    done, _ = wait(pending, return_when=when)
    for future in done:
        result = future.result()  # raises while the file is still counted in flight
        yield result, pending.pop(future)[1]


def _save_all(
    store: Store,
    log: ImportLog,
    checks: _Checks,
    results: Iterator[tuple[Decoded, bytes]],
    known: set[str],
    summary: ImportSummary,
    on_file: Callable[[str], None] | None,
    on_batch: Callable[[], None] | None = None,
) -> None:
    """Save decoded files in batches; failures and skips are logged as they come."""
    batch: list[Upload] = []
    labels: list[str] = []
    for result, data in results:
        accepted = _accept(log, checks, result, data, known, summary)
        if not accepted:
            if on_file:
                on_file(result.label)
            continue
        batch.extend(accepted)
        labels.append(result.label)
        if len(labels) >= BATCH_FILES or _samples_in(batch) >= BATCH_SAMPLES:
            _flush(store, log, batch, labels, summary, on_file)
            if on_batch:
                on_batch()
    _flush(store, log, batch, labels, summary, on_file)
    if on_batch:
        on_batch()


def _accept(
    log: ImportLog,
    checks: _Checks,
    result: Decoded,
    data: bytes,
    known: set[str],
    summary: ImportSummary,
) -> list[Upload]:
    """The uploads to save; none after recording why the file is not saved."""
    if result.status == "skipped":
        summary.skipped.append((result.label, result.message or ""))
        log.add(result.label, result.sha256, "skipped", result.message)
        return []
    if result.fit is None:
        _record_failure(log, summary, result.label, result.sha256, result.message or "")
        return []
    if result.sha256 in known:  # the same bytes twice in one batch
        summary.present += 1
        return []
    known.add(result.sha256)
    for warning in result.fit.warnings:
        summary.warnings.append((result.label, warning))
    found = uploads(result.fit, result.label, data)
    return checks.hold_back(found, result.fit.created_utc, summary)


def _samples_in(batch: list[Upload]) -> int:
    return sum(upload.session.samples.height for upload in batch)


def _flush(
    store: Store,
    log: ImportLog,
    batch: list[Upload],
    labels: list[str],
    summary: ImportSummary,
    on_file: Callable[[str], None] | None,
) -> None:
    """Write the batch in one transaction, then report its files as done."""
    log.flush()
    if not batch:
        return
    summary.count(store.save_uploads(batch))
    if on_file:
        for label in labels:
            on_file(label)
    batch.clear()
    labels.clear()


def _record_failure(
    log: ImportLog, summary: ImportSummary, label: str, sha256: str | None, message: str
) -> None:
    summary.failed.append((label, message))
    log.add(label, sha256, "failed", message)
