"""Lactate readings, attached to reps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from terskel.store.core import StoreCore
from terskel.store.rows import ArrowStream

if TYPE_CHECKING:
    import polars as pl


class LactateReadings(StoreCore):
    """Store part for lactate readings."""

    def add_lactate(self, readings: pl.DataFrame) -> list[int]:
        """Store readings (activity_id, set_no, rep_no, taken_at, mmol, note, source); ids."""
        if readings.is_empty():
            return []
        self.con.register("incoming", ArrowStream(self._with_athlete(readings)))
        try:
            columns = ", ".join(["athlete_id", *readings.columns])
            rows = self.con.execute(
                f"INSERT INTO lactate ({columns}) SELECT {columns} FROM incoming "
                "RETURNING reading_id"
            ).fetchall()
        finally:
            self.con.unregister("incoming")
        return [int(row[0]) for row in rows]

    def lactate_readings(self, activity_ids: list[int] | None = None) -> pl.DataFrame:
        """Stored lactate readings, oldest first."""
        return self._by_activity("lactate", "reading_id", activity_ids)
