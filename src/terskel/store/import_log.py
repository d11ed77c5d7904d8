"""import_log rows in batches: one autocommit per row made a 100,000-entry zip take minutes."""

from __future__ import annotations

import polars as pl

from terskel.store import Store
from terskel.store.rows import ArrowStream

# Rows kept before one bulk insert; callers flush at each save and at the end too.
LOG_BATCH = 500


class ImportLog:
    """Collects import_log rows (failed, skipped ...) and writes them in bulk."""

    def __init__(self, store: Store, batch: int = LOG_BATCH) -> None:
        self._store = store
        self._batch = batch
        self._rows: list[tuple[str, str | None, str, str | None]] = []

    def add(self, path: str, sha256: str | None, status: str, message: str | None) -> None:
        """Queue one row; written at the next flush (automatic every `batch` rows)."""
        self._rows.append((path, sha256, status, message))
        if len(self._rows) >= self._batch:
            self.flush()

    def flush(self) -> None:
        """Write the queued rows in one statement (one commit)."""
        if not self._rows:
            return
        frame = pl.DataFrame(
            self._rows,
            schema={name: pl.String for name in ("path", "sha256", "status", "message")},
            orient="row",
        ).with_columns(athlete_id=pl.lit(self._store.athlete_id))
        con = self._store.con
        con.register("log_rows", ArrowStream(frame))
        try:
            con.execute(
                "INSERT INTO import_log (athlete_id, path, sha256, status, message) "
                "SELECT athlete_id, path, sha256, status, message FROM log_rows"
            )
        finally:
            con.unregister("log_rows")
        self._rows.clear()
