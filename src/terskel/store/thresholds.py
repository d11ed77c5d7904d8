"""Dated physiological markers from a source (athlete_thresholds)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from terskel.store.core import StoreCore

if TYPE_CHECKING:  # polars loads where frames are built: `query` reads none
    import polars as pl


class Thresholds(StoreCore):
    """Store part for dated markers (Garmin's, for now)."""

    def save_thresholds(self, rows: list[dict[str, Any]]) -> None:
        """Upsert dated markers: dicts of source, marker, value, effective_from, note."""
        import polars as pl

        frame = pl.DataFrame(
            rows,
            schema={
                "source": pl.String,
                "marker": pl.String,
                "value": pl.Float64,
                "effective_from": pl.Date,
                "note": pl.String,
            },
        )
        self._insert("athlete_thresholds", self._with_athlete(frame), replace=True)

    def thresholds(self) -> pl.DataFrame:
        """Every stored dated marker, oldest first."""
        return self._frame(
            "SELECT * EXCLUDE (athlete_id) FROM athlete_thresholds WHERE athlete_id = ? "
            "ORDER BY marker, effective_from",
            [self.athlete_id],
        )
