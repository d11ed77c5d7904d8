"""The DuckDB store: the only code that talks to the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from terskel.sources.fit import FitFile
from terskel.store.batch import Batch, FitUpload, Known, SaveOutcome
from terskel.store.dedupe import MAX_START_GAP, Recording
from terskel.store.schema import MIGRATIONS, latest_version

__all__ = ["FitUpload", "SaveOutcome", "Store", "StoreError"]


class StoreError(Exception):
    """The store cannot be opened or used; the message is one line for the user."""


class Store:
    """A terskel DuckDB file, opened for one athlete."""

    def __init__(self, con: duckdb.DuckDBPyConnection, athlete_id: str, path: Path) -> None:
        self.con = con
        self.athlete_id = athlete_id
        self.path = path

    @classmethod
    def open(cls, path: Path, athlete_id: str = "me", read_only: bool = False) -> Store:
        """Open (and create or migrate, unless read-only) the store at `path`."""
        if read_only and not path.exists():
            raise StoreError(f"{path}: no store here yet (run `terskel import` or `terskel init`)")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreError(f"{path}: cannot open the store ({_first_line(exc)})") from exc
        store = cls(con, athlete_id, path)
        if not read_only:
            store._migrate()
        elif store.schema_version() < latest_version():
            raise StoreError(f"{path}: store is from an older terskel; open it once to upgrade")
        return store

    def close(self) -> None:
        """Close the connection (commits nothing; every write commits itself)."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------

    def schema_version(self) -> int:
        """The schema version recorded in the file (0 for a new file)."""
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchone()
        if not exists or not exists[0]:
            return 0
        row = self.con.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _migrate(self) -> None:
        """Apply missing migrations, each in one transaction with its version bump."""
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)"
        )
        current = self.schema_version()
        if current > latest_version():
            raise StoreError(f"{self.path}: store was written by a newer terskel (v{current})")
        for version in range(current + 1, latest_version() + 1):
            with self.transaction():
                self.con.execute(MIGRATIONS[version - 1])
                self.con.execute("INSERT INTO schema_version (version) VALUES (?)", [version])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block in one transaction: all of it lands, or none of it."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    # -- import -------------------------------------------------------------

    def has_file(self, sha256: str) -> bool:
        """True when a file with these bytes was imported before."""
        row = self.con.execute(
            "SELECT count(*) FROM raw_files WHERE athlete_id = ? AND sha256 = ?",
            [self.athlete_id, sha256],
        ).fetchone()
        return bool(row and row[0])

    def known_files(self) -> set[str]:
        """SHA-256 of every file imported before (one query, for a whole import)."""
        rows = self.con.execute(
            "SELECT sha256 FROM raw_files WHERE athlete_id = ?", [self.athlete_id]
        ).fetchall()
        return {row[0] for row in rows}

    def save_fit_file(self, fit: FitFile, path: str, content: bytes) -> list[SaveOutcome]:
        """Store one decoded FIT file and its sessions in one transaction."""
        return self.save_fit_files([FitUpload(fit, path, content)])[0]

    def save_fit_files(self, uploads: list[FitUpload]) -> list[list[SaveOutcome]]:
        """Store decoded FIT files in one transaction: each whole, or none of them."""
        with self.transaction():
            batch = Batch(self._recordings_near(uploads), self._new_ids(uploads))
            outcomes = [
                [batch.add(upload, session) for session in upload.fit.sessions]
                for upload in uploads
            ]
            self._write_batch(batch, uploads)
        return outcomes

    def log_import(self, path: str, sha256: str | None, status: str, message: str | None) -> None:
        """Record a file that was skipped, already present, or failed."""
        self.con.execute(
            "INSERT INTO import_log (athlete_id, path, sha256, status, message) "
            "VALUES (?, ?, ?, ?, ?)",
            [self.athlete_id, path, sha256, status, message],
        )

    def _recordings_near(self, uploads: list[FitUpload]) -> list[Known]:
        """Stored activities that a session in `uploads` could duplicate."""
        starts = [s.start_utc for u in uploads for s in u.fit.sessions]
        if not starts:
            return []
        window = MAX_START_GAP
        rows = self.con.execute(
            "SELECT a.activity_id, a.start_utc, a.elapsed_s, a.distance_m, s.stream_quality "
            "FROM activities a JOIN activity_sources s ON s.athlete_id = a.athlete_id "
            " AND s.source = a.primary_source AND s.source_id = a.primary_source_id "
            "WHERE a.athlete_id = ? AND NOT a.deleted AND a.start_utc BETWEEN ? AND ?",
            [self.athlete_id, min(starts) - window, max(starts) + window],
        ).fetchall()
        return [
            Known(int(aid), Recording(start, elapsed, distance), float(quality), stored=True)
            for aid, start, elapsed, distance, quality in rows
        ]

    def _new_ids(self, uploads: list[FitUpload]) -> Iterator[int]:
        """Activity ids from the sequence, one per session (unused ones leave gaps)."""
        count = sum(len(u.fit.sessions) for u in uploads)
        rows = self.con.execute(
            "SELECT nextval('activity_id_seq') FROM range(?)", [count]
        ).fetchall()
        return iter(int(row[0]) for row in rows)

    def _write_batch(self, batch: Batch, uploads: list[FitUpload]) -> None:
        """Write everything a batch decided, a few bulk statements per table."""
        raw = pl.DataFrame(
            {
                "athlete_id": self.athlete_id,
                "sha256": [u.fit.sha256 for u in uploads],
                "size_bytes": [len(u.content) for u in uploads],
                "content": [u.content for u in uploads],
                "first_path": [u.path for u in uploads],
            },
            schema_overrides={"content": pl.Binary},
        ).unique("sha256", keep="first")
        self._insert("raw_files", raw, on_conflict="DO NOTHING")
        replaced = [aid for aid in batch.updated if aid not in batch.created]
        for table in ("samples", "laps"):
            self._delete_for(table, replaced)
        for aid in replaced:
            self._update_activity(aid, batch.updated[aid])
        self._insert("activities", self._with_athlete(batch.activity_frame()))
        for table, frame in batch.stream_frames().items():
            self._insert(table, self._with_athlete(frame))
        self._insert("activity_sources", self._with_athlete(batch.source_frame()), "DO NOTHING")
        self._insert("import_log", self._with_athlete(batch.log_frame()))

    def _with_athlete(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(athlete_id=pl.lit(self.athlete_id))

    def _insert(self, table: str, frame: pl.DataFrame, on_conflict: str | None = None) -> None:
        """Bulk-insert a frame by column name through Arrow."""
        if frame.is_empty():
            return
        self.con.register("incoming", frame.to_arrow())
        try:
            columns = ", ".join(frame.columns)
            conflict = f" ON CONFLICT {on_conflict}" if on_conflict else ""
            self.con.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming{conflict}"
            )
        finally:
            self.con.unregister("incoming")

    def _delete_for(self, table: str, activity_ids: list[int]) -> None:
        if activity_ids:
            self.con.execute(
                f"DELETE FROM {table} WHERE list_contains(?, activity_id)", [activity_ids]
            )

    def _update_activity(self, activity_id: int, values: dict[str, Any]) -> None:
        assignments = ", ".join(f"{name} = ?" for name in values if name != "activity_id")
        params = [v for k, v in values.items() if k != "activity_id"]
        self.con.execute(
            f"UPDATE activities SET {assignments}, updated_at = current_timestamp "
            "WHERE activity_id = ?",
            [*params, activity_id],
        )

    # -- reads ----------------------------------------------------------------

    def activities(self, since: dt.date | None = None, sport: str | None = None) -> pl.DataFrame:
        """Activities (newest first) with the sources each was seen in."""
        return self._frame(
            """
            SELECT a.activity_id, a.start_utc, a.start_local, a.utc_offset_s, a.sport,
                   a.sub_sport, a.distance_m, a.elapsed_s, a.timer_s, a.avg_hr, a.max_hr,
                   a.avg_speed_mps, a.device, a.sample_count,
                   string_agg(DISTINCT s.source, ',' ORDER BY s.source) AS sources,
                   count(s.source_id) AS recordings
            FROM activities a
            LEFT JOIN activity_sources s
              ON s.athlete_id = a.athlete_id AND s.activity_id = a.activity_id
            WHERE a.athlete_id = $athlete AND NOT a.deleted
              AND ($since IS NULL OR CAST(a.start_local AS DATE) >= $since)
              AND ($sport IS NULL OR a.sport = $sport)
            GROUP BY ALL
            ORDER BY a.start_utc DESC
            """,
            {"athlete": self.athlete_id, "since": since, "sport": sport},
        )

    def samples(self, activity_ids: list[int] | None = None) -> pl.LazyFrame:
        """Samples of the given activities (all when None), ordered by activity and time."""
        return self._stream("samples", "t", activity_ids)

    def laps(self, activity_ids: list[int] | None = None) -> pl.LazyFrame:
        """Laps of the given activities (all when None)."""
        return self._stream("laps", "lap_index", activity_ids)

    def _stream(self, table: str, order: str, activity_ids: list[int] | None) -> pl.LazyFrame:
        frame = self._frame(
            f"SELECT * EXCLUDE (athlete_id) FROM {table} WHERE athlete_id = $athlete "
            "AND ($ids IS NULL OR list_contains($ids, activity_id)) "
            f"ORDER BY activity_id, {order}",
            {"athlete": self.athlete_id, "ids": activity_ids},
        )
        return frame.lazy()

    def _frame(self, sql: str, params: dict[str, Any] | list[Any]) -> pl.DataFrame:
        """Run a query and hand back a polars frame (Arrow, no row-by-row copy)."""
        frame: pl.DataFrame = self.con.sql(sql, params=params).pl()
        return frame

    def import_log(self, limit: int = 100) -> pl.DataFrame:
        """The newest import log rows."""
        return self._frame(
            "SELECT * EXCLUDE (athlete_id) FROM import_log WHERE athlete_id = ? "
            "ORDER BY log_id DESC LIMIT ?",
            [self.athlete_id, limit],
        )

    def table_counts(self) -> dict[str, int]:
        """Row counts of the core tables, for summaries and tests."""
        counts = {}
        for table in ("activities", "activity_sources", "raw_files", "laps", "samples"):
            row = self.con.execute(
                f"SELECT count(*) FROM {table} WHERE athlete_id = ?", [self.athlete_id]
            ).fetchone()
            counts[table] = int(row[0]) if row else 0
        return counts


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's message."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
