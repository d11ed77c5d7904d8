"""Import what the FIT importer leaves of a Strava export: GPX, TCX and summary-only rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from terskel.sources.model import Upload
from terskel.sources.strava_export import (
    CSV_NAME,
    SOURCE,
    Export,
    ExportError,
    ExportRow,
    is_fit_row,
    is_strava_export,
    is_track_name,
    open_export,
    summary_upload,
    track_upload,
)
from terskel.store import Store

if TYPE_CHECKING:
    from terskel.ingest import ImportSummary

BATCH_ROWS = 32


def import_exports(
    store: Store,
    paths: list[Path],
    summary: ImportSummary,
    fallback_tz: str | None,
    on_file: Callable[[str], None] | None,
) -> None:
    """Import the non-FIT activities of every Strava export among `paths`."""
    for path in paths:
        if is_strava_export(path):
            try:
                with open_export(path) as export:
                    _import_rows(store, export, summary, fallback_tz, on_file)
            except ExportError as exc:
                summary.failed.append((str(path), str(exc)))
                store.log_import(str(path), None, "failed", str(exc))


def _import_rows(
    store: Store,
    export: Export,
    summary: ImportSummary,
    fallback_tz: str | None,
    on_file: Callable[[str], None] | None,
) -> None:
    """Rows not stored before, saved in batches; a bad row is logged and skipped."""
    seen = store.source_ids(SOURCE)
    batch: list[Upload] = []
    for row in export.rows():
        if is_fit_row(export, row):
            continue  # the FIT importer reads it from the same zip or folder
        label = _label(export, row)
        if row.activity_id in seen:
            summary.present += 1
        else:
            upload = _upload(export, row, label, fallback_tz, summary, store)
            if upload is not None:
                batch.append(upload)
        if len(batch) >= BATCH_ROWS:
            _flush(store, batch, summary)
        if on_file:
            on_file(label)
    _flush(store, batch, summary)


def _upload(
    export: Export,
    row: ExportRow,
    label: str,
    fallback_tz: str | None,
    summary: ImportSummary,
    store: Store,
) -> Upload | None:
    """The row's GPX/TCX file as an upload, or its summary; None after logging a failure."""
    name = row.filename or ""
    try:
        if name and is_track_name(name) and export.has(name):
            return track_upload(row, name, export.read(name), fallback_tz, label)
        if name and not export.has(name):
            summary.warnings.append((label, "file missing from the export; summary only"))
        return summary_upload(row, fallback_tz, label)
    except ExportError as exc:
        summary.failed.append((label, str(exc)))
        store.log_import(label, None, "failed", str(exc))
        return None


def _flush(store: Store, batch: list[Upload], summary: ImportSummary) -> None:
    if not batch:
        return
    summary.count(store.save_uploads(batch))
    batch.clear()


def _label(export: Export, row: ExportRow) -> str:
    return f"{export.root}!{row.filename or f'{CSV_NAME}#{row.activity_id}'}"
