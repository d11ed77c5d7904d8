"""What the weekly report reads: a week's activities, their typing, zones, reps, lactate.

As rows (dicts of DuckDB's values), not frames: the text report imports no polars.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from terskel.store.core import StoreCore

# the order of each table's rows (the report adds zone seconds up in this order)
_ORDER = {
    "sessions": "activity_id",
    "lactate": "reading_id",
    "structures": "activity_id",
}


class ReportFrames(StoreCore):
    """Store part that reads the frames of the weekly report."""

    def report_activities(self, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
        """Activities (all sports) with a local date in [first, last], for the weekly report."""
        return self._dicts(
            "SELECT a.activity_id, a.sport, a.start_local, a.elapsed_s, a.timer_s, a.distance_m, "
            "a.avg_hr, (SELECT count(*) FROM activity_sources s WHERE s.athlete_id = "
            "a.athlete_id AND s.activity_id = a.activity_id) AS recordings FROM activities a "
            "WHERE a.athlete_id = $athlete AND NOT a.deleted "
            "AND CAST(a.start_local AS DATE) BETWEEN $first AND $last ORDER BY a.start_utc",
            {"athlete": self.athlete_id, "first": first, "last": last},
        )

    def report_reps(self, activity_ids: list[int]) -> list[dict[str, Any]]:
        """Work reps of these activities, in time order."""
        return self._dicts(
            "SELECT activity_id, set_no, rep_no, start_utc, duration_s, distance_m, "
            "avg_speed_mps, avg_hr, avg_hr_2nd_half FROM intervals WHERE athlete_id = $athlete "
            "AND kind = 'work' AND list_contains($ids, activity_id) "
            "ORDER BY activity_id, start_utc",
            {"athlete": self.athlete_id, "ids": activity_ids},
        )

    def report_zone_time(self, activity_ids: list[int], model: str) -> list[dict[str, Any]]:
        """Whole-activity seconds per zone of one zone model (a 28-week report reads ~300
        of these rows instead of ~7,600 with every model and segment), in zone_time's order."""
        return self._dicts(
            "SELECT activity_id, seg_index, model, zone, seconds FROM zone_time "
            "WHERE athlete_id = $athlete AND list_contains($ids, activity_id) "
            "AND seg_index IS NULL AND model = $model ORDER BY activity_id, zone",
            {"athlete": self.athlete_id, "ids": activity_ids, "model": model},
        )

    def report_rows(self, table: str, activity_ids: list[int]) -> list[dict[str, Any]]:
        """The rows of `table` (sessions, lactate, structures) of these
        activities, without athlete_id, in the order the frame reads give them."""
        return self._dicts(
            f"SELECT * EXCLUDE (athlete_id) FROM {table} WHERE athlete_id = $athlete "
            f"AND list_contains($ids, activity_id) ORDER BY {_ORDER[table]}",
            {"athlete": self.athlete_id, "ids": activity_ids},
        )

    def latest_local_start(self) -> dt.datetime | None:
        """Local start of the newest activity (what the default report week follows)."""
        value = self.scalar(
            "SELECT max(start_local) FROM activities WHERE athlete_id = ? AND NOT deleted",
            [self.athlete_id],
        )
        return value if isinstance(value, dt.datetime) else None
