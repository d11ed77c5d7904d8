"""Interval structure of runs: the segments (intervals) and one label each (structures)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from terskel.store.core import StoreCore

if TYPE_CHECKING:
    import polars as pl


class Structures(StoreCore):
    """Store part for detected structures: what to analyse, and its results."""

    def activities_to_analyze(
        self, since: dt.date | None, rebuild: bool, sports: tuple[str, ...]
    ) -> list[int]:
        """Runs without a stored structure (every run with `rebuild`), oldest first."""
        rows = self.con.execute(
            "SELECT a.activity_id FROM activities a WHERE a.athlete_id = $athlete "
            "AND NOT a.deleted AND list_contains($sports, a.sport) AND a.sample_count > 0 "
            "AND ($since IS NULL OR CAST(a.start_local AS DATE) >= $since) "
            "AND ($rebuild OR NOT EXISTS (SELECT 1 FROM structures s WHERE "
            " s.athlete_id = a.athlete_id AND s.activity_id = a.activity_id "
            " AND s.analyzed_at >= a.updated_at)) "
            "ORDER BY a.start_utc",
            {
                "athlete": self.athlete_id,
                "sports": list(sports),
                "since": since,
                "rebuild": rebuild,
            },
        ).fetchall()
        return [int(row[0]) for row in rows]

    def save_structures(
        self,
        activity_ids: list[int],
        segments: pl.DataFrame,
        labels: pl.DataFrame,
        read_at: dt.datetime | None = None,
    ) -> None:
        """Replace the intervals and structure labels of these activities, in one transaction.

        `read_at`: when their samples were read (`clock`), for a structure saved after
        later writes (an import saves a batch's at the next one): stamped so, a run whose
        samples were replaced meanwhile stays to analyse (`activities_to_analyze`)."""
        if read_at is not None:
            import polars as pl

            labels = labels.with_columns(analyzed_at=pl.lit(read_at, pl.Datetime("us")))
        with self.transaction():
            # later stages' rows go too: what is left per stage is read from its own table
            for table in ("intervals", "structures", "activity_peaks", "zone_time", "sessions"):
                self._delete_for(table, activity_ids)
            self._insert("intervals", self._with_athlete(segments))
            self._insert("structures", self._with_athlete(labels))

    def clock(self) -> dt.datetime:
        """The store's time now, as its `updated_at` and `analyzed_at` columns hold it."""
        now: dt.datetime = self.scalar("SELECT CAST(current_timestamp AS TIMESTAMP)")
        return now

    def structures(self, activity_ids: list[int] | None = None) -> pl.DataFrame:
        """Stored structure labels."""
        return self._by_activity("structures", "activity_id", activity_ids)

    def intervals(self, activity_ids: list[int] | None = None) -> pl.DataFrame:
        """Stored segments, in order."""
        return self._by_activity("intervals", "activity_id, seg_index", activity_ids)
