"""Where `terskel export --parquet` may write: a new or empty folder, or an earlier export.

The rule: the target is a folder. A missing one is created; an empty one is used; one
that holds only an earlier export (a subfolder per table) has those table folders
replaced whole, so no stale partition survives. Anything else is refused in one line,
so pointing the export at a file or at a folder of other things never overwrites them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from terskel.store.core import StoreCore
from terskel.store.errors import StoreError
from terskel.store.schema import stored_forms


def prepare_folder(folder: Path, tables: Iterable[str]) -> None:
    """Make `folder` ready for a fresh export of `tables`; StoreError when it is not ours."""
    names = set(tables)
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"{folder}: exists and is not a folder; export --parquet needs a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        entries = list(folder.iterdir())
        others = sorted(e.name for e in entries if e.name not in names or not e.is_dir())
        if others:
            raise StoreError(
                f"{folder}: holds other files ({', '.join(others[:3])}); "
                "export into a new or empty folder, or into an earlier export"
            )
        for entry in entries:
            shutil.rmtree(entry)
    except OSError as exc:
        raise StoreError(f"{folder}: cannot write the export here ({exc.strerror})") from exc


class ParquetExport(StoreCore):
    """Store part that writes the core tables as Parquet."""

    def export_parquet(self, folder: Path) -> dict[str, int]:
        """Write the core tables as Parquet, partitioned by athlete and year; row counts."""
        counts = {}
        prepare_folder(folder, _EXPORTS)
        for table, year_of in _EXPORTS.items():
            target = folder / table
            hidden = stored_forms(table)  # the degrees, not the semicircles they come from
            columns = f"t.* EXCLUDE ({', '.join(hidden)})" if hidden else "t.*"
            self.con.execute(
                f"COPY (SELECT {columns}, {year_of} AS year FROM {table} t) "
                f"TO '{_sql_text(target)}' "
                "(FORMAT parquet, PARTITION_BY (athlete_id, year), OVERWRITE_OR_IGNORE)"
            )
            counts[table] = int(self.scalar(f"SELECT count(*) FROM {table}"))
        return counts


# table -> expression for the year a row belongs to (the activity's local year)
_ACTIVITY_YEAR = (
    "(SELECT year(a.start_local) FROM activities a WHERE a.activity_id = t.activity_id)"
)
_EXPORTS = {
    "activities": "year(t.start_local)",
    "activity_sources": "year(t.start_utc)",
    "laps": _ACTIVITY_YEAR,
    "samples": "year(t.t)",
    "import_log": "year(t.logged_at)",
    "sync_log": "year(t.started_at)",
    "athlete_thresholds": "year(t.effective_from)",
    "intervals": "year(t.start_utc)",
    "structures": _ACTIVITY_YEAR,
    "zone_time": _ACTIVITY_YEAR,
    "sessions": "year(t.local_date)",
    "lactate": f"coalesce({_ACTIVITY_YEAR}, year(t.created_at))",
    "activity_peaks": "year(t.local_date)",
}


def _sql_text(path: Path) -> str:
    """A path as the inside of a SQL string literal."""
    return str(path).replace("'", "''")
