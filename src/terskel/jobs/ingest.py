"""Import FIT inputs: decode in parallel worker processes, save one file per transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from terskel.jobs.decoding import Decoded, decode_job
from terskel.jobs.import_summary import ImportSummary
from terskel.jobs.interrupts import sigterm_as_interrupt
from terskel.jobs.pool import WorkerDied, decoding_pool, launching, stop_workers, wanted_workers
from terskel.sources.files import FitInput, count_fit_inputs, iter_inputs
from terskel.sources.fit import sha256_of, uploads
from terskel.sources.plausibility import implausible
from terskel.store import Store, Upload
from terskel.store.import_log import ImportLog
from terskel.store.quarantine import quarantine

if TYPE_CHECKING:  # the pool loads only when workers decode (not for a nightly's one file)
    from concurrent.futures import Executor, Future, ProcessPoolExecutor

    import polars as pl

    Streams = dict[int, pl.DataFrame]  # activity id -> its samples, as just saved

# Files per write transaction: each file lands whole or not at all, and a batch
# amortises DuckDB's per-statement and per-commit cost over many files.
BATCH_FILES = 32
BATCH_SAMPLES = 500_000
# Files in flight (decoding or decoded, not yet saved) per worker: with a batch's worth
# the workers decode the next batch while this process saves one and detects its
# structure, instead of idling once a few files wait (4 per worker did).
IN_FLIGHT_PER_WORKER = BATCH_FILES // 2


def count_inputs(paths: list[Path], fit_files: int | None = None) -> int:
    """How many FIT files `iter_inputs` will yield (`fit_files` when counted already), plus a
    Strava export's other rows."""
    fits = count_fit_inputs(paths) if fit_files is None else fit_files
    if not any(_may_be_export(p) for p in paths):  # a nightly's files: no export to read
        return fits
    from terskel.sources.strava_export import count_other_rows, is_strava_export

    return fits + sum(count_other_rows(p) for p in paths if is_strava_export(p))


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
    on_batch: Callable[[Executor, Streams], None] | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> ImportSummary:
    """Import every FIT file under `paths` into `store`; never stops on a bad file.

    `on_batch` runs after each batch of files is saved while worker processes decode the
    next ones (the CLI detects the new runs' structure there); not without workers. It
    gets their pool, which takes its work beside the decoding: processes already running,
    so a batch of a few runs pays no start-up, and no more processes than cores; and the
    batch's samples as saved, by activity, so that it need not read them back.
    `pool`: decoding workers the caller started (`pool.decoding_pool`, before it opened
    the store); used instead of `workers`, and left to the caller to stop."""
    summary = ImportSummary()
    log = ImportLog(store)
    checks = _Checks(store, now or dt.datetime.now(dt.UTC).replace(tzinfo=None))
    with store.bulk_writes():  # one checkpoint at the end (store/checkpoints.py)
        try:
            with sigterm_as_interrupt():
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
                    pool,
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
    on_batch: Callable[[Executor, Streams], None] | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> None:
    known = store.known_files()
    fresh = _new_inputs(log, iter_inputs(paths), known, summary, on_file)
    use_workers = wanted_workers(workers, None if pool else total)
    if pool is None and not use_workers:
        results: Generator[tuple[Decoded, bytes]] = (
            (decode_job(item.label, data, fallback_tz), data) for item, data in fresh
        )
        # nothing decodes meanwhile: the work is no sooner done here
        with closing(results):
            _save_all(store, log, checks, results, known, summary, on_file)
        return
    with _workers(pool, use_workers) as running:
        results = _decode_parallel(running, fresh, fallback_tz, use_workers)
        batch_done = (lambda saved: on_batch(running, saved)) if on_batch else None
        # closed at once when saving (or the analysis between batches) raises, Ctrl-C and
        # SIGTERM included: the pool then stops its workers, not at its collection; a
        # worker dying in that analysis ends the command in cli.main, as in any command
        with closing(results):
            _save_all(store, log, checks, results, known, summary, on_file, batch_done)


@contextmanager
def _workers(pool: ProcessPoolExecutor | None, workers: int) -> Iterator[ProcessPoolExecutor]:
    """The caller's pool (its workers stopped at once when the import raises, as this
    module's own would be), or `workers` started here."""
    if pool is None:
        with decoding_pool(workers) as started:
            yield started
        return
    try:
        yield pool
    except BaseException:
        stop_workers(pool)
        raise


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
            with launching():  # a worker started now inherits an ignored SIGINT: Ctrl-C is ours
                future = pool.submit(decode_job, item.label, data, fallback_tz)
            pending[future] = (item.label, data)
            if len(pending) >= window:
                yield from _drain(pending, FIRST_COMPLETED)
        while pending:
            yield from _drain(pending, FIRST_COMPLETED)
    except BrokenExecutor as exc:
        raise WorkerDied([label for label, _ in pending.values()]) from exc


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
    on_batch: Callable[[Streams], None] | None = None,
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
            saved = _flush(store, log, batch, labels, summary, on_file)
            if on_batch:
                on_batch(saved)
    saved = _flush(store, log, batch, labels, summary, on_file)
    if on_batch:
        on_batch(saved)


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
) -> Streams:
    """Write the batch in one transaction, then report its files as done; the samples
    saved, by activity (as the uploads hold them)."""
    log.flush()
    if not batch:
        return {}
    outcomes = store.save_uploads(batch)
    summary.count(outcomes)
    saved = {
        outcome.activity_id: upload.session.samples
        for upload, outcome in zip(batch, outcomes, strict=True)
        if outcome.stream_saved
    }
    if on_file:
        for label in labels:
            on_file(label)
    batch.clear()
    labels.clear()
    return saved


def _record_failure(
    log: ImportLog, summary: ImportSummary, label: str, sha256: str | None, message: str
) -> None:
    summary.failed.append((label, message))
    log.add(label, sha256, "failed", message)
