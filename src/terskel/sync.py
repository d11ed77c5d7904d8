"""Run connectors (Garmin, Strava, watched folders) and report per source, for cron."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from terskel.config import Settings
from terskel.store import Store

# source name -> "module:function" of its connector, imported only when used
CONNECTORS: dict[str, str] = {
    "strava": "terskel.connectors.strava:sync",
    "garmin": "terskel.connectors.garmin:sync",
    "folders": "terskel.connectors.folders:sync",
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
) -> SourceReport:
    """Run one source's connector and record the run in sync_log."""
    run_id = store.start_sync_run(source)
    try:
        report = connector(source)(store, settings, options, progress)
    except AuthRequired as exc:
        report = SourceReport(source, status="auth", message=str(exc))
    except SourceUnavailable as exc:
        report = SourceReport(source, status="failed", message=f"{source}: {exc}")
    store.finish_sync_run(
        run_id,
        report.status,
        new=report.new,
        updated=report.updated,
        failed=len(report.failed),
        message=report.message,
        resume_after=report.resume_after,
    )
    return report
