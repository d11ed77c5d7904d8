"""Import what the FIT importer leaves of a Strava export: GPX, TCX and summary-only rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from terskel.sources.model import Upload
from terskel.sources.plausibility import upload_problem
from terskel.sources.strava_export import (
    CSV_NAME,
    SOURCE,
    Export,
    ExportError,
    ExportRow,
    is_fit_row,
    is_inside,
    is_strava_export,
    is_track_name,
    open_export,
    summary_upload,
    track_upload,
)
from terskel.store import Store
from terskel.store.import_log import ImportLog
from terskel.store.quarantine import quarantine

if TYPE_CHECKING:
    from terskel.jobs.import_summary import ImportSummary

BATCH_ROWS = 32


def import_exports(
    store: Store,
    paths: list[Path],
    summary: ImportSummary,
    fallback_tz: str | None,
    on_file: Callable[[str], None] | None,
    log: ImportLog | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Import the non-FIT activities of every Strava export among `paths`."""
    log = log or ImportLog(store)
    context = _Context(store, log, summary, now or dt.datetime.now(dt.UTC).replace(tzinfo=None))
    try:
        for path in paths:
            if is_strava_export(path):
                try:
                    with open_export(path) as export:
                        _import_rows(context, export, fallback_tz, on_file)
                except ExportError as exc:
                    context.fail(str(path), str(exc))
    finally:
        log.flush()


@dataclass(frozen=True)
class _Context:
    """Where an export import writes: the store, its log, the summary; and now (UTC)."""

    store: Store
    log: ImportLog
    summary: ImportSummary
    now: dt.datetime

    def fail(self, label: str, reason: str) -> None:
        """Count and log one row or export that could not be imported."""
        self.summary.failed.append((label, reason))
        self.log.add(label, None, "failed", reason)


def _import_rows(
    context: _Context,
    export: Export,
    fallback_tz: str | None,
    on_file: Callable[[str], None] | None,
) -> None:
    """Rows not stored before, saved in batches; a bad row is logged and skipped."""
    seen = context.store.source_ids(SOURCE)
    batch: list[Upload] = []
    for row in export.rows():
        if is_fit_row(export, row):
            continue  # the FIT importer reads it from the same zip or folder
        label = _label(export, row)
        if row.activity_id in seen:
            context.summary.present += 1
        else:
            upload = _upload(export, row, label, fallback_tz, context)
            if upload is not None:
                batch.append(upload)
        if len(batch) >= BATCH_ROWS:
            _flush(context, batch)
        if on_file:
            on_file(label)
    _flush(context, batch)


def _upload(
    export: Export,
    row: ExportRow,
    label: str,
    fallback_tz: str | None,
    context: _Context,
) -> Upload | None:
    """The row's GPX/TCX file as an upload, or its summary; None after logging a failure."""
    name = row.filename or ""
    try:
        if name and not is_inside(name):
            raise ExportError(f"file name {name!r} points outside the export; not read")
        if name and is_track_name(name) and export.has(name):
            return track_upload(row, name, export.read(name), fallback_tz, label)
        if name and not export.has(name):
            context.summary.warnings.append((label, "file missing from the export; summary only"))
        return summary_upload(row, fallback_tz, label)
    except ExportError as exc:
        context.fail(label, str(exc))
        return None


def _flush(context: _Context, batch: list[Upload]) -> None:
    """Quarantine implausible rows, save the rest in one transaction."""
    context.log.flush()
    held = [(u, r) for u in batch if (r := upload_problem(u, context.now)) is not None]
    quarantine(context.store, held)
    context.summary.quarantined.extend((u.path or u.source_id, r) for u, r in held)
    keep = [u for u in batch if all(u is not h for h, _ in held)]
    if keep:
        context.summary.count(context.store.save_uploads(keep))
    batch.clear()


def _label(export: Export, row: ExportRow) -> str:
    return f"{export.root}!{row.filename or f'{CSV_NAME}#{row.activity_id}'}"
