"""Store part for the runner's corrections (structure labels, session types)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from terskel.store.rows import read_frame

if TYPE_CHECKING:
    import polars as pl

KINDS = ("structure", "type")


class CorrectionsMixin:
    """Read and write `corrections`; Store inherits it (needs `con`, `athlete_id`)."""

    con: duckdb.DuckDBPyConnection
    athlete_id: str

    def set_correction(self, activity_id: int, kind: str, value: str) -> None:
        """Store (or replace) the runner's correction of one activity."""
        self.con.execute(
            "INSERT OR REPLACE INTO corrections (athlete_id, activity_id, kind, value) "
            "VALUES (?, ?, ?, ?)",
            [self.athlete_id, activity_id, kind, value],
        )

    def clear_correction(self, activity_id: int, kind: str) -> bool:
        """Remove one correction; False when there was none."""
        rows = self.con.execute(
            "DELETE FROM corrections WHERE athlete_id = ? AND activity_id = ? AND kind = ? "
            "RETURNING activity_id",
            [self.athlete_id, activity_id, kind],
        ).fetchall()
        return bool(rows)

    def corrections(self, kind: str | None = None) -> pl.DataFrame:
        """Stored corrections (activity_id, kind, value, created_at), oldest first."""
        return read_frame(
            self.con,
            "SELECT activity_id, kind, value, created_at FROM corrections "
            "WHERE athlete_id = $athlete AND ($kind IS NULL OR kind = $kind) "
            "ORDER BY created_at, activity_id",
            {"athlete": self.athlete_id, "kind": kind},
        )

    def set_structure_label(self, activity_id: int, label: str, n_work: int) -> None:
        """Put a user label in `structures` now (the next analysis keeps it)."""
        self.con.execute(
            "DELETE FROM structures WHERE athlete_id = ? AND activity_id = ?",
            [self.athlete_id, activity_id],
        )
        self.con.execute(
            "INSERT INTO structures (athlete_id, activity_id, label, source, n_work) "
            "VALUES (?, ?, ?, 'user', ?)",
            [self.athlete_id, activity_id, label, n_work],
        )

    def forget_structure(self, activity_id: int) -> None:
        """Drop one activity's structure, so the next analysis detects it again."""
        self.con.execute(
            "DELETE FROM structures WHERE athlete_id = ? AND activity_id = ?",
            [self.athlete_id, activity_id],
        )
