"""Sync bookkeeping: per-source cursors, the retry queue of failed items, and sync_log.

Store inherits `SyncState`; everything here is one statement that commits itself,
so a killed sync leaves at most one run row open (closed by the next run).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from terskel.store import faults
from terskel.store.core import StoreCore

if TYPE_CHECKING:
    import polars as pl

# sync_state key of each source's retry queue:
# {"<item id>": {"tries": 2, "error": "Strava answered 502", "first_failed": "...",
#                "last_failed": "...", "given_up": false, "payload": {...}}}
RETRY_KEY = "retry"


@dataclass(frozen=True)
class RetryItem:
    """One item (activity) of a source that failed and waits to be fetched again."""

    source: str
    item_id: str
    tries: int
    error: str
    given_up: bool
    last_failed: str
    payload: Any = None  # what the connector needs to fetch it again (a summary ...)


class SyncState(StoreCore):
    """Sync state methods of the Store."""

    def _write(self, sql: str, params: list[Any]) -> list[Any]:
        """One self-committing statement (a kill point for the fault tests)."""
        rows = self.con.execute(sql, params).fetchall()
        faults.committed()
        return rows

    # -- cursors ------------------------------------------------------------------

    def sync_state(self, source: str, key: str) -> Any:
        """A saved cursor or progress value of a source (None when unset)."""
        rows = self.con.execute(
            "SELECT value FROM sync_state WHERE athlete_id = ? AND source = ? AND key = ?",
            [self.athlete_id, source, key],
        ).fetchall()
        return json.loads(rows[0][0]) if rows and rows[0][0] is not None else None

    def set_sync_state(self, source: str, key: str, value: Any) -> None:
        """Save a cursor or progress value of a source (committed at once)."""
        self._write(
            "INSERT OR REPLACE INTO sync_state (athlete_id, source, key, value, updated_at) "
            "VALUES (?, ?, ?, ?, current_timestamp)",
            [self.athlete_id, source, key, json.dumps(value)],
        )

    # -- a source's stored records --------------------------------------------------

    def source_ids(self, source: str) -> set[str]:
        """Every stored record id of one source (to find what was deleted upstream)."""
        rows = self.con.execute(
            "SELECT source_id FROM activity_sources WHERE athlete_id = ? AND source = ?",
            [self.athlete_id, source],
        ).fetchall()
        return {row[0] for row in rows}

    def mark_deleted(self, source: str, source_ids: list[str]) -> int:
        """Mark activities deleted whose only records are these (deleted upstream)."""
        if not source_ids:
            return 0
        rows = self.con.execute(
            "UPDATE activities SET deleted = true, updated_at = current_timestamp "
            "WHERE athlete_id = $athlete AND NOT deleted AND activity_id IN ("
            " SELECT activity_id FROM activity_sources WHERE athlete_id = $athlete "
            " GROUP BY activity_id HAVING bool_and(source = $source "
            " AND list_contains($ids, source_id))) RETURNING activity_id",
            {"athlete": self.athlete_id, "source": source, "ids": source_ids},
        ).fetchall()
        return len(rows)

    def newest_start(self, source: str) -> dt.datetime | None:
        """Start (UTC) of the newest stored record of a source: the incremental cursor."""
        value = self.scalar(
            "SELECT max(start_utc) FROM activity_sources WHERE athlete_id = ? AND source = ?",
            [self.athlete_id, source],
        )
        return value if isinstance(value, dt.datetime) else None

    # -- retry queue -----------------------------------------------------------------

    def retry_items(self, source: str, include_given_up: bool = False) -> list[RetryItem]:
        """Items of a source that failed before, oldest failure first."""
        queue = self.sync_state(source, RETRY_KEY) or {}
        items = [_item(source, item_id, entry) for item_id, entry in queue.items()]
        chosen = [i for i in items if include_given_up or not i.given_up]
        return sorted(chosen, key=lambda i: (i.last_failed, i.item_id))

    def item_failed(
        self, source: str, item_id: str, error: str, max_tries: int, payload: Any = None
    ) -> RetryItem:
        """Count one more failed try of an item; given up once it reached `max_tries`."""
        queue = self.sync_state(source, RETRY_KEY) or {}
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        entry = queue.get(item_id) or {"tries": 0, "first_failed": now}
        entry.update(
            tries=int(entry["tries"]) + 1,
            error=error,
            last_failed=now,
            payload=payload if payload is not None else entry.get("payload"),
        )
        entry["given_up"] = entry["tries"] >= max_tries
        queue[item_id] = entry
        self.set_sync_state(source, RETRY_KEY, queue)
        return _item(source, item_id, entry)

    def item_done(self, source: str, item_id: str) -> None:
        """Drop an item from the retry queue: fetched, or gone upstream."""
        queue = self.sync_state(source, RETRY_KEY) or {}
        if queue.pop(item_id, None) is not None:
            self.set_sync_state(source, RETRY_KEY, queue)

    def queued_items(self) -> list[RetryItem]:
        """Every queued item of every source, given up or not (for `terskel status`)."""
        rows = self.con.execute(
            "SELECT source FROM sync_state WHERE athlete_id = ? AND key = ? ORDER BY source",
            [self.athlete_id, RETRY_KEY],
        ).fetchall()
        return [item for (source,) in rows for item in self.retry_items(source, True)]

    # -- sync_log ----------------------------------------------------------------------

    def close_stale_runs(self) -> int:
        """Close the open run rows of a sync that was killed; the writer lock proves it."""
        rows = self._write(
            "UPDATE sync_log SET status = 'interrupted', finished_at = current_timestamp, "
            "message = coalesce(message, 'the sync was killed before it finished') "
            "WHERE athlete_id = ? AND status = 'running' RETURNING run_id",
            [self.athlete_id],
        )
        return len(rows)

    def start_sync_run(self, source: str) -> int:
        """Open a sync_log row for a run of `source`; returns its run id."""
        rows = self._write(
            "INSERT INTO sync_log (athlete_id, source) VALUES (?, ?) RETURNING run_id",
            [self.athlete_id, source],
        )
        return int(rows[0][0])

    def finish_sync_run(
        self,
        run_id: int,
        status: str,
        new: int = 0,
        updated: int = 0,
        failed: int = 0,
        message: str | None = None,
        resume_after: dt.datetime | None = None,
    ) -> None:
        """Close a sync_log row with what the run did."""
        self._write(
            "UPDATE sync_log SET finished_at = current_timestamp, status = ?, new = ?, "
            "updated = ?, failed = ?, message = ?, resume_after = ? WHERE run_id = ?",
            [status, new, updated, failed, message, resume_after, run_id],
        )

    def sync_runs(self, limit: int = 20) -> pl.DataFrame:
        """The newest sync runs."""
        frame: pl.DataFrame = self.con.sql(
            "SELECT * EXCLUDE (athlete_id) FROM sync_log WHERE athlete_id = $athlete "
            "ORDER BY run_id DESC LIMIT $limit",
            params={"athlete": self.athlete_id, "limit": limit},
        ).pl()
        return frame


def _item(source: str, item_id: str, entry: dict[str, Any]) -> RetryItem:
    return RetryItem(
        source=source,
        item_id=item_id,
        tries=int(entry.get("tries", 0)),
        error=str(entry.get("error", "")),
        given_up=bool(entry.get("given_up", False)),
        last_failed=str(entry.get("last_failed", "")),
        payload=entry.get("payload"),
    )
