"""Dated physiological markers from a source (athlete_thresholds)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from terskel.store.core import StoreCore
from terskel.store.device_markers import SOURCE as DEVICE
from terskel.store.device_markers import highest, rank

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
        # one row a key: the first (as INSERT OR REPLACE kept it); device rows come one a
        # key already, the highest (save_device_markers), so their order never decides
        frame = frame.unique(
            ["source", "marker", "effective_from"], keep="first", maintain_order=True
        )
        self._upsert("athlete_thresholds", self._with_athlete(frame), THRESHOLD_KEY)

    def save_device_markers(self, rows: list[dict[str, Any]]) -> None:
        """Keep, per marker and day, the highest of the stored row and these rows
        (store/device_markers.py): the same rows whatever order the files come in."""
        rows = highest(rows)
        stored = {
            (marker, day): {"value": value, "note": note}
            for marker, day, value, note in self.con.execute(
                "SELECT marker, effective_from, value, note FROM athlete_thresholds "
                "WHERE athlete_id = ? AND source = ? AND list_contains(?, effective_from)",
                [self.athlete_id, DEVICE, sorted({r["effective_from"] for r in rows})],
            ).fetchall()
        }
        held = [stored.get((r["marker"], r["effective_from"])) for r in rows]
        fresh = [r for r, h in zip(rows, held, strict=True) if h is None or rank(r) > rank(h)]
        if fresh:  # a row that would not change is not written
            self.save_thresholds(fresh)

    def thresholds(self) -> pl.DataFrame:
        """Every stored dated marker, oldest first."""
        return self._frame(
            "SELECT * EXCLUDE (athlete_id) FROM athlete_thresholds WHERE athlete_id = ? "
            "ORDER BY marker, effective_from",
            [self.athlete_id],
        )
