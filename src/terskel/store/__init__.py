"""The DuckDB store: the only code that talks to the database."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from terskel.sources.fit import FitFile, FitSession
from terskel.store.dedupe import Recording, same_activity, stream_quality
from terskel.store.schema import MIGRATIONS, latest_version


class StoreError(Exception):
    """The store cannot be opened or used; the message is one line for the user."""


@dataclass(frozen=True)
class SaveOutcome:
    """What happened to one session of an imported file."""

    activity_id: int
    status: str  # imported | linked
    sport: str
    start_utc: dt.datetime


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

    def save_fit_file(self, fit: FitFile, path: str, content: bytes) -> list[SaveOutcome]:
        """Store a decoded FIT file and its sessions in one transaction."""
        with self.transaction():
            self.con.execute(
                "INSERT INTO raw_files (athlete_id, sha256, size_bytes, content, first_path) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [self.athlete_id, fit.sha256, len(content), content, path],
            )
            outcomes = [self._save_session(fit, session, path) for session in fit.sessions]
            for outcome in outcomes:
                message = "; ".join(fit.warnings) or None
                self._log(path, fit.sha256, outcome.status, message, outcome.activity_id)
        return outcomes

    def log_import(self, path: str, sha256: str | None, status: str, message: str | None) -> None:
        """Record a file that was skipped, already present, or failed."""
        self._log(path, sha256, status, message, None)

    def _log(
        self,
        path: str,
        sha256: str | None,
        status: str,
        message: str | None,
        activity_id: int | None,
    ) -> None:
        self.con.execute(
            "INSERT INTO import_log (athlete_id, path, sha256, status, message, activity_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [self.athlete_id, path, sha256, status, message, activity_id],
        )

    def _save_session(self, fit: FitFile, session: FitSession, path: str) -> SaveOutcome:
        """Link the session to the activity it duplicates, or create a new activity."""
        source_id = f"{fit.sha256}:{session.index}"
        quality = stream_quality(session.samples, session.elapsed_s)
        match = self._find_duplicate(session)
        if match is None:
            activity_id = self._insert_activity(fit, session, source_id)
            self._replace_streams(activity_id, session)
            status = "imported"
        else:
            activity_id, kept_quality = match
            if quality > kept_quality:
                self._update_activity(activity_id, fit, session, source_id)
                self._replace_streams(activity_id, session)
            status = "linked"
        self.con.execute(
            "INSERT INTO activity_sources (athlete_id, source, source_id, activity_id, "
            "file_sha256, original_path, raw_json, sport, start_utc, elapsed_s, distance_m, "
            "sample_count, stream_quality, decoder) "
            "VALUES (?, 'fit', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                self.athlete_id,
                source_id,
                activity_id,
                fit.sha256,
                path,
                json.dumps(session.summary),
                session.sport,
                session.start_utc,
                session.elapsed_s,
                session.distance_m,
                session.samples.height,
                quality,
                fit.decoder,
            ],
        )
        return SaveOutcome(activity_id, status, session.sport, session.start_utc)

    def _find_duplicate(self, session: FitSession) -> tuple[int, float] | None:
        """The stored activity this session duplicates, with its kept stream's quality."""
        window = dt.timedelta(minutes=2)
        rows = self.con.execute(
            "SELECT a.activity_id, a.start_utc, a.elapsed_s, a.distance_m, s.stream_quality "
            "FROM activities a JOIN activity_sources s ON s.athlete_id = a.athlete_id "
            " AND s.source = a.primary_source AND s.source_id = a.primary_source_id "
            "WHERE a.athlete_id = ? AND NOT a.deleted AND a.start_utc BETWEEN ? AND ?",
            [self.athlete_id, session.start_utc - window, session.start_utc + window],
        ).fetchall()
        mine = Recording(session.start_utc, session.elapsed_s, session.distance_m)
        for activity_id, start, elapsed, distance, quality in rows:
            if same_activity(mine, Recording(start, elapsed, distance)):
                return int(activity_id), float(quality)
        return None

    def _activity_values(self, fit: FitFile, session: FitSession, source_id: str) -> dict[str, Any]:
        """Column values of `activities` taken from one session."""
        offset = dt.timedelta(seconds=session.utc_offset_s)
        return {
            "sport": session.sport,
            "sub_sport": session.sub_sport,
            "start_utc": session.start_utc,
            "utc_offset_s": session.utc_offset_s,
            "utc_offset_source": session.utc_offset_source,
            "start_local": session.start_utc + offset,
            "elapsed_s": session.elapsed_s,
            "timer_s": session.timer_s,
            "distance_m": session.distance_m,
            "avg_hr": session.avg_hr,
            "max_hr": session.max_hr,
            "avg_speed_mps": session.avg_speed_mps,
            "max_speed_mps": session.max_speed_mps,
            "avg_cadence_spm": session.avg_cadence_spm,
            "avg_power_w": session.avg_power_w,
            "total_ascent_m": session.total_ascent_m,
            "calories": session.calories,
            "device": " ".join(p for p in (fit.manufacturer, fit.product) if p) or None,
            "primary_source": "fit",
            "primary_source_id": source_id,
            "sample_count": session.samples.height,
        }

    def _insert_activity(self, fit: FitFile, session: FitSession, source_id: str) -> int:
        values = self._activity_values(fit, session, source_id)
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        row = self.con.execute(
            f"INSERT INTO activities (athlete_id, {columns}) VALUES (?, {marks}) "
            "RETURNING activity_id",
            [self.athlete_id, *values.values()],
        ).fetchone()
        assert row is not None
        return int(row[0])

    def _update_activity(
        self, activity_id: int, fit: FitFile, session: FitSession, source_id: str
    ) -> None:
        values = self._activity_values(fit, session, source_id)
        assignments = ", ".join(f"{name} = ?" for name in values)
        self.con.execute(
            f"UPDATE activities SET {assignments}, updated_at = current_timestamp "
            "WHERE activity_id = ?",
            [*values.values(), activity_id],
        )

    def _replace_streams(self, activity_id: int, session: FitSession) -> None:
        """Keep this session's samples and laps as the activity's streams."""
        for table, frame in (("samples", session.samples), ("laps", session.laps)):
            self.con.execute(f"DELETE FROM {table} WHERE activity_id = ?", [activity_id])
            if frame.is_empty():
                continue
            incoming = frame.to_arrow()
            self.con.register("incoming", incoming)
            try:
                columns = ", ".join(frame.columns)
                self.con.execute(
                    f"INSERT INTO {table} (athlete_id, activity_id, {columns}) "
                    f"SELECT ?, ?, {columns} FROM incoming",
                    [self.athlete_id, activity_id],
                )
            finally:
                self.con.unregister("incoming")

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
