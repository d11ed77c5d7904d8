"""Garmin connector: new activities (summary + original FIT) and physiology into the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from terskel.config import GARMIN_TOKEN_DIR, Settings
from terskel.jobs.sync import (
    AuthRequired,
    SourceReport,
    SourceUnavailable,
    SyncOptions,
    given_up,
    item_failed,
    retry_queue,
)
from terskel.sources import garmin
from terskel.sources.fit import FitError, FitFile, NotAnActivity, decode, sha256_of
from terskel.sources.model import Upload
from terskel.sources.plausibility import implausible
from terskel.store import Store
from terskel.store.quarantine import quarantine

SOURCE = "garmin"
# `--full` and a first sync start here: before any Garmin Connect account existed.
HISTORY_START = dt.date(2000, 1, 1)
# sync_state key: activities without a FIT original (manual entries, GPX uploads),
# logged once as skipped and not downloaded again.
SKIPPED = "skipped_ids"


def sync(
    store: Store, settings: Settings, options: SyncOptions, progress: Callable[[str], None]
) -> SourceReport:
    """Fetch activities since the newest stored one (minus the look-back), then physiology."""
    token_dir = options.secrets_dir / GARMIN_TOKEN_DIR
    client = _sign_in(token_dir)
    report = SourceReport(SOURCE)
    try:
        _pull_physiology(client, store)  # first: the runs fetched next are zoned with it
        _pull_activities(client, store, settings, options, report, progress)
    except garmin.GarminRateLimited:
        report.status = "partial"
        report.message = "Garmin rate limit (429): stopped; what was fetched is kept"
    except garmin.GarminAuthError as exc:
        raise AuthRequired(SOURCE, str(exc)) from exc
    except garmin.GarminError as exc:
        report.status = "partial"
        report.message = f"stopped: {exc}"
    finally:
        garmin.keep_tokens(client, token_dir)
    if report.failed and report.status == "ok":
        report.status = "partial"
    return report


def _sign_in(token_dir: Path) -> Any:
    """The signed-in client; a missing or dead login is AuthRequired (never a prompt)."""
    try:
        return garmin.resume(token_dir)
    except garmin.GarminAuthError as exc:
        raise AuthRequired(SOURCE, str(exc)) from exc
    except garmin.GarminError as exc:
        raise SourceUnavailable(str(exc)) from exc


def start_date(store: Store, settings: Settings, options: SyncOptions) -> dt.date:
    """First day to list: the newest stored Garmin activity minus the look-back."""
    newest = store.newest_start(SOURCE)
    if options.full or newest is None:
        return HISTORY_START
    return (newest - dt.timedelta(days=settings.garmin.lookback_days)).date()


def _pull_activities(
    client: Any,
    store: Store,
    settings: Settings,
    options: SyncOptions,
    report: SourceReport,
    progress: Callable[[str], None],
) -> None:
    """Retry what failed before, then import every listed activity not stored yet."""
    tried = _retry_failed(client, store, settings, options, report, progress)
    stored = {source_id.split(":")[0] for source_id in store.source_ids(SOURCE)}
    skipped = set(store.sync_state(SOURCE, SKIPPED) or [])
    passed = given_up(store, SOURCE)
    listed: set[str] = set()
    for page in garmin.activity_pages(client, start_date(store, settings, options)):
        for item in page:
            activity_id = str(item.get("activityId"))
            listed.add(activity_id)
            if activity_id in stored | skipped | tried | passed:
                continue
            if item.get("manualActivity"):
                reason: str | None = "a manual entry (no file to download)"
            else:
                reason = _import_activity(client, store, settings, activity_id, report)
            if reason:
                _skip(store, activity_id, reason, skipped)
            stored.add(activity_id)
            progress(f"garmin:{activity_id}")
    if options.full:
        report.deleted = store.mark_deleted(SOURCE, sorted(stored - listed - skipped))


def _retry_failed(
    client: Any,
    store: Store,
    settings: Settings,
    options: SyncOptions,
    report: SourceReport,
    progress: Callable[[str], None],
) -> set[str]:
    """Fetch the activities that failed on earlier runs first; returns their ids."""
    tried = set()
    stored = {source_id.split(":")[0] for source_id in store.source_ids(SOURCE)}
    for queued in retry_queue(store, SOURCE, options):
        tried.add(queued.item_id)
        if queued.item_id in stored:  # saved by a run killed before it could say so
            store.item_done(SOURCE, queued.item_id)
            continue
        reason = _import_activity(client, store, settings, queued.item_id, report)
        if reason:  # it turned out to hold no FIT file: not a failure any more
            _skip(store, queued.item_id, reason, set(store.sync_state(SOURCE, SKIPPED) or []))
            store.item_done(SOURCE, queued.item_id)
        progress(f"garmin:{queued.item_id} (retry)")
    return tried


def _skip(store: Store, activity_id: str, reason: str, skipped: set[str]) -> None:
    """Log an activity that has no FIT file, and remember not to fetch it again."""
    store.log_import(f"garmin:{activity_id}", None, "skipped", reason)
    skipped.add(activity_id)
    store.set_sync_state(SOURCE, SKIPPED, sorted(skipped))


def _import_activity(
    client: Any, store: Store, settings: Settings, activity_id: str, report: SourceReport
) -> str | None:
    """Summary, ORIGINAL download, decode, save; a bad file is queued and the sync goes on.

    Returns why the activity was skipped when it holds no activity FIT file.
    """
    label = f"garmin:{activity_id}"
    content: bytes | None = None
    try:
        summary = garmin.activity_summary(client, activity_id)
        content = garmin.original_fit(client, activity_id)
        fit = decode(content, settings.athlete.timezone)
        garmin.check_whole(fit, activity_id)
    except (garmin.NoFitFile, NotAnActivity) as exc:
        return str(exc)
    except (garmin.GarminRateLimited, garmin.GarminAuthError):
        raise
    except (garmin.GarminError, FitError) as exc:
        item_failed(store, settings, report, (activity_id, label), str(exc))
        store.log_import(label, _sha(content), "failed", str(exc))
        return None
    found = garmin.to_uploads(fit, activity_id, summary, content)
    for outcome in store.save_uploads(_plausible(store, fit, found, report)):
        report.activity_ids.append(outcome.activity_id)
        if outcome.status == "imported":
            report.new += 1
        else:
            report.updated += 1
    store.item_done(SOURCE, activity_id)
    return None


def _plausible(
    store: Store, fit: FitFile, found: list[Upload], report: SourceReport
) -> list[Upload]:
    """Uploads that may be stored; a download with impossible values is quarantined."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    held = [(u, r) for u in found if (r := implausible(u.session, now, fit.created_utc))]
    quarantine(store, held)
    report.failed.extend((f"garmin:{u.source_id}", f"quarantined: {r}") for u, r in held)
    return [u for u in found if all(u is not h for h, _ in held)]


def _sha(content: bytes | None) -> str | None:
    return sha256_of(content) if content else None


def _pull_physiology(client: Any, store: Store) -> None:
    """Lactate threshold, max and resting HR as dated thresholds, when they changed."""
    rows = garmin.threshold_rows(garmin.physiology(client), dt.date.today())
    stored = store.thresholds()
    fresh = changed_thresholds(rows, stored)
    if fresh:
        # zones of runs already analysed used the old values: drop them first (a kill
        # between the two leaves them to redo, never stale), then save the new ones
        for first, before in affected_dates(fresh, stored):
            store.drop_zone_analysis(first, before)
        store.save_thresholds(fresh)


def affected_dates(
    fresh: list[dict[str, Any]], stored: pl.DataFrame
) -> list[tuple[dt.date | None, dt.date | None]]:
    """Date ranges [first, before) whose markers in force change with the fresh rows.

    A marker holds from its date until the next one of its kind; the earliest one
    also holds for every day before it (see analysis.athlete.resolve).
    """
    ranges = []
    for row in fresh:
        same = stored.filter(pl.col("marker") == row["marker"]) if stored.height else stored
        dates = sorted(set(same["effective_from"].to_list() if same.height else []))
        dates = sorted(set(dates) | {row["effective_from"]})
        at = dates.index(row["effective_from"])
        first = None if at == 0 else row["effective_from"]
        before = dates[at + 1] if at + 1 < len(dates) else None
        ranges.append((first, before))
    return ranges


def changed_thresholds(rows: list[dict[str, Any]], stored: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows whose value differs from the stored Garmin value in force on their date."""
    if stored.is_empty():
        return rows
    ours = stored.filter(pl.col("source") == SOURCE)
    fresh = []
    for row in rows:
        earlier = ours.filter(
            (pl.col("marker") == row["marker"])
            & (pl.col("effective_from") <= row["effective_from"])
        ).sort("effective_from")
        if earlier.is_empty() or earlier["value"][-1] != row["value"]:
            fresh.append(row)
    return fresh
