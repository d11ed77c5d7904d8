"""Dropping analysis rows whose inputs changed, so the next analysis redoes them."""

from __future__ import annotations

import datetime as dt

import duckdb

from terskel.store import faults


class Invalidation:
    """Store methods that mark analysis stale (needs `con` and `athlete_id`)."""

    con: duckdb.DuckDBPyConnection
    athlete_id: str

    def drop_zone_analysis(self, first: dt.date | None, before: dt.date | None) -> int:
        """Drop best efforts, zones and session types of runs dated in [first, before).

        Their structure stays: the next analysis recomputes zones and types from the
        stored segments (see Store.activities_to_zone). Returns how many runs.
        """
        params = {"athlete": self.athlete_id, "first": first, "before": before}
        rows = self.con.execute(
            "SELECT list(a.activity_id) FROM activities a JOIN structures s "
            "USING (athlete_id, activity_id) WHERE a.athlete_id = $athlete "
            "AND ($first IS NULL OR CAST(a.start_local AS DATE) >= $first) "
            "AND ($before IS NULL OR CAST(a.start_local AS DATE) < $before)",
            params,
        ).fetchall()
        ids = rows[0][0] or []
        if ids:
            self.con.execute("BEGIN TRANSACTION")
            for table in ("activity_peaks", "zone_time", "sessions"):
                self.con.execute(
                    f"DELETE FROM {table} WHERE athlete_id = ? AND list_contains(?, activity_id)",
                    [self.athlete_id, ids],
                )
            self.con.execute("COMMIT")
            faults.committed()
        return len(ids)
