"""Run connectors (Garmin, Strava, watched folders) and report per source, for cron."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from terskel.config import Settings
from terskel.jobs.interrupts import interrupted
from terskel.store import Store
from terskel.store.sync_state import RetryItem

# source name -> "module:function" of its connector, imported only when used
CONNECTORS: dict[str, str] = {
    "strava": "terskel.jobs.sync.strava:sync",
    "garmin": "terskel.jobs.sync.garmin:sync",
    "folders": "terskel.jobs.sync.folders:sync",
}


class AuthRequired(Exception):
    """A source needs `terskel auth ...` first; cron gets exit 3, never a prompt."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}; run `terskel auth {source}`")
        self.source = source


class SourceUnavailable(Exception):
    """A source refuses service for a reason the user must act on (one line)."""


@dataclass(frozen=True)
class SyncOptions:
    """How a sync run behaves."""

    full: bool = False  # walk the whole history (and mark deletions upstream)
    wait: bool = False  # sleep through rate-limit windows instead of stopping
    interactive: bool = False  # a terminal is attached (never true under cron)
    secrets_dir: Path = Path(".")  # where token files live


@dataclass
class SourceReport:
    """What one source's sync did."""

    source: str
    status: str = "ok"  # ok | partial | failed | auth
    new: int = 0
    updated: int = 0
    deleted: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    resume_after: dt.datetime | None = None  # UTC: when a rate limit allows the rest
    message: str | None = None
    activity_ids: list[int] = field(default_factory=list)


class Connector(Protocol):
    """A source's sync function: fetch what is new, save it through the store."""

    def __call__(
        self,
        store: Store,
        settings: Settings,
        options: SyncOptions,
        progress: Callable[[str], None],
    ) -> SourceReport: ...


def connector(source: str) -> Connector:
    """The sync function of a source, imported on first use."""
    module, _, name = CONNECTORS[source].partition(":")
    function: Connector = getattr(importlib.import_module(module), name)
    return function


def sync_source(
    store: Store,
    settings: Settings,
    source: str,
    options: SyncOptions,
    progress: Callable[[str], None],
    stopping: Callable[[], bool] = lambda: False,
) -> SourceReport:
    """Run one source's connector and record the run in sync_log (every row ends).

    `stopping`: whether the caller was asked to stop (its SIGTERM arrived). An error then,
    or one raised from a Ctrl-C or SIGTERM, is that interrupt, not the source's failure: a
    SIGTERM in a DuckDB query comes out as RuntimeError("Query interrupted"), which went
    into the catch-all below and the sync went on (other sources, the analysis) to exit 1."""
    store.close_stale_runs()  # rows a killed sync left open: we hold the writer lock now
    run_id = store.start_sync_run(source)
    try:
        report = _run_connector(store, settings, source, options, progress, stopping)
    except BaseException:  # Ctrl-C, SIGTERM (see cli.sync): close the row, then stop
        store.finish_sync_run(run_id, "interrupted", message="interrupted (Ctrl-C or SIGTERM)")
        raise
    _finish(store, run_id, report)
    return report


def _run_connector(
    store: Store,
    settings: Settings,
    source: str,
    options: SyncOptions,
    progress: Callable[[str], None],
    stopping: Callable[[], bool],
) -> SourceReport:
    """The connector's report; its unforeseen error as a failed one, an interrupt raised on
    (also one a connector swallowed: raised here, before the next source starts)."""
    try:
        report = connector(source)(store, settings, options, progress)
    except AuthRequired as exc:
        report = SourceReport(source, status="auth", message=str(exc))
    except SourceUnavailable as exc:
        report = SourceReport(source, status="failed", message=f"{source}: {exc}")
    except Exception as exc:  # a bug or an unforeseen answer: one line, the run row ends
        if interrupted(exc, stopping):
            raise
        message = f"{source}: stopped by an unexpected error ({type(exc).__name__}: {_line(exc)})"
        report = SourceReport(source, status="failed", message=message)
    if stopping():
        raise KeyboardInterrupt
    return report


def _finish(store: Store, run_id: int, report: SourceReport) -> None:
    store.finish_sync_run(
        run_id,
        report.status,
        new=report.new,
        updated=report.updated,
        failed=len(report.failed),
        message=report.message,
        resume_after=report.resume_after,
    )


def item_failed(
    store: Store,
    settings: Settings,
    report: SourceReport,
    item: tuple[str, str],
    reason: str,
    payload: object = None,
) -> None:
    """Report a failed item and queue it for the next runs (until `max_tries`)."""
    item_id, label = item
    queued = store.item_failed(report.source, item_id, reason, settings.sync.max_tries, payload)
    if queued.given_up:
        reason = f"{reason} (gave up after {queued.tries} tries; `sync --full` tries again)"
    elif queued.tries > 1:
        reason = f"{reason} (try {queued.tries} of {settings.sync.max_tries})"
    report.failed.append((label, reason))


def retry_queue(store: Store, source: str, options: SyncOptions) -> list[RetryItem]:
    """The failed items to fetch first: those not given up (all of them with --full)."""
    return store.retry_items(source, include_given_up=options.full)


def given_up(store: Store, source: str) -> set[str]:
    """Ids of the items a source stopped trying (skipped until `sync --full`)."""
    return {i.item_id for i in store.retry_items(source, include_given_up=True) if i.given_up}


def _line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else "no message"
