"""Watched folders: import new FIT files from the folders named in `[sync] folders`."""

from __future__ import annotations

from collections.abc import Callable

from terskel.config import Settings
from terskel.jobs.ingest import import_paths
from terskel.jobs.sync import SourceReport, SourceUnavailable, SyncOptions
from terskel.store import Store


def sync(
    store: Store, settings: Settings, options: SyncOptions, progress: Callable[[str], None]
) -> SourceReport:
    """Import every FIT file in the watched folders that is not stored yet."""
    folders = [f.expanduser() for f in settings.sync.folders]
    missing = [str(f) for f in folders if not f.is_dir()]
    present = [f for f in folders if f.is_dir()]
    if not folders:
        raise SourceUnavailable("no folders configured ([sync] folders in the config)")
    summary = import_paths(store, present, fallback_tz=settings.athlete.timezone, on_file=progress)
    failed = summary.failed + [(m, "folder not found (not mounted?)") for m in missing]
    failed += [(label, f"quarantined: {reason}") for label, reason in summary.quarantined]
    return SourceReport(
        "folders",
        status="partial" if failed else "ok",
        new=summary.imported,
        updated=summary.linked,
        failed=failed,
        message=f"not found: {', '.join(missing)}" if missing else None,
        activity_ids=summary.activity_ids,
    )
