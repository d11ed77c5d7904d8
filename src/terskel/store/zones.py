"""Best efforts (activity_peaks) and time in zone (zone_time) of analysed runs."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from terskel.store.core import StoreCore

if TYPE_CHECKING:
    import polars as pl


class ZoneTime(StoreCore):
    """Store part for best efforts and time in zone, saved together after the structure."""

    def activities_to_zone(self, since: dt.date | None, sports: tuple[str, ...]) -> list[int]:
        """Runs whose structure is saved but whose best efforts and zones are not, oldest first.

        (A run killed between the two saves: save_structures drops the zone rows.)
        """
        rows = self.con.execute(
            "SELECT a.activity_id FROM activities a JOIN structures s "
            "USING (athlete_id, activity_id) WHERE a.athlete_id = $athlete AND NOT a.deleted "
            "AND list_contains($sports, a.sport) AND a.sample_count > 0 "
            "AND s.analyzed_at >= a.updated_at "
            "AND ($since IS NULL OR CAST(a.start_local AS DATE) >= $since) "
            "AND NOT EXISTS (SELECT 1 FROM activity_peaks p WHERE "
            " p.athlete_id = a.athlete_id AND p.activity_id = a.activity_id) "
            "ORDER BY a.start_utc",
            {"athlete": self.athlete_id, "sports": list(sports), "since": since},
        ).fetchall()
        return [int(row[0]) for row in rows]

    def save_zone_analysis(
        self, activity_ids: list[int], peaks: pl.DataFrame, zone_time: pl.DataFrame
    ) -> None:
        """Replace the best efforts and time in zone of these activities, in one transaction."""
        with self.transaction():
            self._delete_for("activity_peaks", activity_ids)
            self._delete_for("zone_time", activity_ids)
            self._insert("activity_peaks", self._with_athlete(peaks))
            self._insert("zone_time", self._with_athlete(zone_time))

    def peaks(self) -> pl.DataFrame:
        """Best efforts of every analysed run (the data behind estimated markers)."""
        return self._frame(
            "SELECT p.* EXCLUDE (athlete_id) FROM activity_peaks p JOIN activities a "
            "USING (athlete_id, activity_id) WHERE p.athlete_id = ? AND NOT a.deleted "
            "ORDER BY p.local_date",
            [self.athlete_id],
        )

    def zone_time(
        self, activity_ids: list[int] | None = None, model: str | None = None
    ) -> pl.DataFrame:
        """Stored seconds per zone (seg_index NULL: the whole activity)."""
        return self._frame(
            "SELECT * EXCLUDE (athlete_id) FROM zone_time WHERE athlete_id = $athlete "
            "AND ($ids IS NULL OR list_contains($ids, activity_id)) "
            "AND ($model IS NULL OR model = $model) "
            "ORDER BY activity_id, seg_index NULLS FIRST, model, zone",
            {"athlete": self.athlete_id, "ids": activity_ids, "model": model},
            self._through_arrow(activity_ids),
        )
