"""Reading activities and their streams; moving one in time (the demo)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from terskel.store.core import StoreCore

if TYPE_CHECKING:
    import polars as pl


class Activities(StoreCore):
    """Store part that reads activities, samples and laps."""

    def activities(self, since: dt.date | None = None, sport: str | None = None) -> pl.DataFrame:
        """Activities (newest first) with the sources each was seen in."""
        return self._frame(
            """
            SELECT a.activity_id, a.start_utc, a.start_local, a.utc_offset_s, a.sport,
                   a.sub_sport, a.distance_m, a.elapsed_s, a.timer_s, a.avg_hr, a.max_hr,
                   a.avg_speed_mps, a.device, a.sample_count,
                   string_agg(DISTINCT s.source, ',' ORDER BY s.source) AS sources,
                   count(s.source_id) AS recordings,
                   any_value(st.label) AS structure,
                   any_value(se.session_type) AS session_type
            FROM activities a
            LEFT JOIN activity_sources s
              ON s.athlete_id = a.athlete_id AND s.activity_id = a.activity_id
            LEFT JOIN structures st
              ON st.athlete_id = a.athlete_id AND st.activity_id = a.activity_id
            LEFT JOIN sessions se
              ON se.athlete_id = a.athlete_id AND se.activity_id = a.activity_id
            WHERE a.athlete_id = $athlete AND NOT a.deleted
              AND ($since IS NULL OR CAST(a.start_local AS DATE) >= $since)
              AND ($sport IS NULL OR a.sport = $sport)
            GROUP BY ALL
            ORDER BY a.start_utc DESC
            """,
            {"athlete": self.athlete_id, "since": since, "sport": sport},
        )

    def activity(self, activity_id: int) -> dict[str, Any] | None:
        """One activity's row, or None."""
        frame = self._frame(
            "SELECT * FROM activities WHERE athlete_id = ? AND activity_id = ?",
            [self.athlete_id, activity_id],
        )
        return frame.row(0, named=True) if frame.height else None

    def samples(
        self, activity_ids: list[int] | None = None, columns: Sequence[str] | None = None
    ) -> pl.LazyFrame:
        """Samples of the given activities (all when None), ordered by activity and time;
        only `columns` when given (a narrower read is a faster one)."""
        return self._by_activity(
            "samples", "activity_id, t", activity_ids, bulk=True, columns=columns
        ).lazy()

    def laps(self, activity_ids: list[int] | None = None) -> pl.LazyFrame:
        """Laps of the given activities (all when None)."""
        return self._by_activity("laps", "activity_id, lap_index", activity_ids, bulk=True).lazy()

    def local_dates(self, activity_ids: list[int]) -> pl.DataFrame:
        """activity_id and local date of these activities."""
        return self._frame(
            "SELECT activity_id, CAST(start_local AS DATE) AS local_date FROM activities "
            "WHERE athlete_id = ? AND list_contains(?, activity_id) ORDER BY activity_id",
            [self.athlete_id, activity_ids],
        )

    def activities_on(self, dates: list[dt.date]) -> pl.DataFrame:
        """Every activity (all sports) on these local dates: what session typing needs."""
        return self._frame(
            "SELECT activity_id, sport, sub_sport, start_utc, start_local, elapsed_s, timer_s, "
            "distance_m, avg_hr, max_hr FROM activities WHERE athlete_id = ? AND NOT deleted "
            "AND list_contains(?, CAST(start_local AS DATE)) ORDER BY start_utc",
            [self.athlete_id, dates],
        )

    def activity_at(
        self, when: dt.datetime, slack_s: float = 900.0, local: bool = False
    ) -> int | None:
        """The activity running at an instant (UTC, or local time) or ended `slack_s` before."""
        start = "start_local" if local else "start_utc"
        value = self.scalar(
            f"SELECT activity_id FROM activities WHERE athlete_id = ? AND NOT deleted "
            f"AND {start} <= ? AND {start} + to_microseconds(CAST((coalesce(elapsed_s, "
            "timer_s, 0) + ?) * 1e6 AS BIGINT)) >= ? ORDER BY start_utc DESC LIMIT 1",
            [self.athlete_id, when, slack_s, when],
        )
        return int(value) if value is not None else None

    def activity_files(self) -> dict[str, int]:
        """File name -> activity id, for activities imported from files."""
        rows = self.con.execute(
            "SELECT original_path, activity_id FROM activity_sources "
            "WHERE athlete_id = ? AND original_path IS NOT NULL",
            [self.athlete_id],
        ).fetchall()
        return {Path(path).name: int(aid) for path, aid in rows}

    def shift_activity(self, activity_id: int, delta: dt.timedelta) -> None:
        """Move one activity and its streams in time (the demo's assembled weeks); derived
        rows of it are dropped so the next analysis recomputes them."""
        shift = "to_microseconds(CAST(? AS BIGINT))"
        micros = int(delta.total_seconds() * 1_000_000)
        with self.transaction():
            for table, columns in _SHIFTED.items():
                sets = ", ".join(f"{c} = {c} + {shift}" for c in columns)
                self.con.execute(
                    f"UPDATE {table} SET {sets} WHERE athlete_id = ? AND activity_id = ?",
                    [*([micros] * len(columns)), self.athlete_id, activity_id],
                )
            self.con.execute(
                "UPDATE activities SET updated_at = current_timestamp WHERE activity_id = ?",
                [activity_id],
            )
            for table in ("intervals", "structures", "zone_time", "sessions"):
                self._delete_for(table, [activity_id])


# table -> timestamp columns moved by Store.shift_activity
_SHIFTED = {
    "activities": ("start_utc", "start_local"),
    "activity_sources": ("start_utc",),
    "laps": ("start_utc", "end_utc"),
    "samples": ("t",),
    "lactate": ("taken_at",),
}
