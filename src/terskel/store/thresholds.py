"""Dated physiological markers from a source (athlete_thresholds)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from terskel.store.core import StoreCore

if TYPE_CHECKING:  # polars loads where frames are built: `query` reads none
    import polars as pl


THRESHOLD_KEY = ("athlete_id", "source", "marker", "effective_from")


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
        # one row a key: the first (as INSERT OR REPLACE kept it), e.g. two runs of a day
        frame = frame.unique(
            ["source", "marker", "effective_from"], keep="first", maintain_order=True
        )
        self._upsert("athlete_thresholds", self._with_athlete(frame), THRESHOLD_KEY)

    def thresholds(self) -> pl.DataFrame:
        """Every stored dated marker, oldest first."""
        return self._frame(
            "SELECT * EXCLUDE (athlete_id) FROM athlete_thresholds WHERE athlete_id = ? "
            "ORDER BY marker, effective_from",
            [self.athlete_id],
        )
