"""Session types of runs (sessions), typed day by day."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from terskel.store.core import StoreCore

if TYPE_CHECKING:
    import polars as pl


class Sessions(StoreCore):
    """Store part for typed sessions."""

    def dates_to_type(self, since: dt.date | None, rebuild: bool) -> list[dt.date]:
        """Local dates with an activity whose session row is missing or older than it."""
        rows = self.con.execute(
            "SELECT DISTINCT CAST(a.start_local AS DATE) AS d FROM activities a "
            "WHERE a.athlete_id = $athlete AND NOT a.deleted "
            "AND ($since IS NULL OR CAST(a.start_local AS DATE) >= $since) "
            "AND ($rebuild OR NOT EXISTS (SELECT 1 FROM sessions s WHERE "
            " s.athlete_id = a.athlete_id AND s.activity_id = a.activity_id "
            " AND s.analyzed_at >= a.updated_at)) ORDER BY d",
            {"athlete": self.athlete_id, "since": since, "rebuild": rebuild},
        ).fetchall()
        return [row[0] for row in rows]

    def save_sessions(self, sessions: pl.DataFrame) -> None:
        """Replace the session rows of the activities in `sessions`, in one transaction."""
        with self.transaction():
            self._delete_for("sessions", sessions["activity_id"].to_list())
            self._insert("sessions", self._with_athlete(sessions))

    def sessions(self, activity_ids: list[int] | None = None) -> pl.DataFrame:
        """Stored session types."""
        return self._by_activity("sessions", "activity_id", activity_ids)
