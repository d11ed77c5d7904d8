"""The DuckDB store: the only code that talks to the database."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from terskel.sources.model import Upload
from terskel.store import faults
from terskel.store.batch import Batch, Known, SaveOutcome
from terskel.store.checkpoints import checkpoint, defer_checkpoints
from terskel.store.corrections import CorrectionsMixin
from terskel.store.dedupe import MAX_START_GAP, Recording
from terskel.store.device_markers import save_device_markers
from terskel.store.errors import StoreError, StoreLocked
from terskel.store.exporting import prepare_folder
from terskel.store.invalidate import Invalidation
from terskel.store.lock import StoreBusy, WriterLock
from terskel.store.opening import default_wait, open_connection
from terskel.store.sandbox import QueryRefused, refusal_of, run_user_sql
from terskel.store.schema import MIGRATIONS, latest_version
from terskel.store.sync_state import SyncState
from terskel.store.views import ensure_views

__all__ = ["SaveOutcome", "Store", "StoreError", "StoreLocked", "Upload"]


class Store(SyncState, Invalidation, CorrectionsMixin):
    """A terskel DuckDB file, opened for one athlete."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        athlete_id: str,
        path: Path,
        lock: WriterLock | None = None,
    ) -> None:
        self.con = con
        self.athlete_id = athlete_id
        self.path = path
        self._lock = lock

    @classmethod
    def open(
        cls,
        path: Path,
        athlete_id: str = "me",
        read_only: bool = False,
        wait_s: float | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> Store:
        """Open (and create or migrate, unless read-only) the store at `path`, waiting up to
        `wait_s` for another process (default: seconds to read, minutes to write)."""
        if read_only and not path.exists():
            raise StoreError(f"{path}: no store here yet (run `terskel import` or `terskel init`)")
        wait = default_wait(read_only) if wait_s is None else wait_s
        started = time.monotonic()
        lock = None if read_only else WriterLock(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if lock is not None:
                lock.acquire(wait, on_wait)
        except StoreBusy as exc:
            raise StoreLocked(str(exc)) from exc
        except OSError as exc:  # a read-only folder, a file where a folder should be ...
            raise StoreError(f"{path}: cannot write the store here ({exc.strerror})") from exc
        try:
            left = max(0.0, wait - (time.monotonic() - started))
            con = open_connection(path, read_only, left, on_wait)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        con.execute("SET TimeZone = 'UTC'")  # current_timestamp columns hold UTC
        store = cls(con, athlete_id, path, lock)
        if not read_only:
            defer_checkpoints(con)
            store._migrate()
            ensure_views(con)
        return store

    def checkpoint(self) -> None:
        """Write the WAL into the store file (writers defer it: store/checkpoints.py)."""
        checkpoint(self.con)

    def close(self) -> None:
        """Close the connection and let the next writer in (every write commits itself)."""
        self.con.close()
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------

    def schema_version(self) -> int:
        """The schema version recorded in the file (0 for a new file)."""
        exists = self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        )
        if not exists:
            return 0
        return int(self.scalar("SELECT max(version) FROM schema_version") or 0)

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        """The first column of the first row (fetching the whole result, as DuckDB asks)."""
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

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
        faults.committed()

    # -- import -------------------------------------------------------------

    def has_file(self, sha256: str) -> bool:
        """True when a file with these bytes was imported before."""
        return bool(
            self.scalar(
                "SELECT count(*) FROM raw_files WHERE athlete_id = ? AND sha256 = ?",
                [self.athlete_id, sha256],
            )
        )

    def known_files(self) -> set[str]:
        """SHA-256 of every file imported before (one query, for a whole import)."""
        rows = self.con.execute(
            "SELECT sha256 FROM raw_files WHERE athlete_id = ?", [self.athlete_id]
        ).fetchall()
        return {row[0] for row in rows}

    def save_uploads(self, uploads: list[Upload]) -> list[SaveOutcome]:
        """Store uploads in one transaction: all of them land whole, or none does."""
        with self.transaction():
            batch = Batch(
                self._recordings_near(uploads), self._seen_sources(uploads), self._new_ids(uploads)
            )
            outcomes = [batch.add(upload) for upload in uploads]
            self._write_batch(batch, uploads)
            save_device_markers(self, uploads)
        return outcomes

    def log_import(self, path: str, sha256: str | None, status: str, message: str | None) -> None:
        """Record a file that was skipped, already present, or failed."""
        self.con.execute(
            "INSERT INTO import_log (athlete_id, path, sha256, status, message) "
            "VALUES (?, ?, ?, ?, ?)",
            [self.athlete_id, path, sha256, status, message],
        )

    def _recordings_near(self, uploads: list[Upload]) -> list[Known]:
        """Stored activities that an upload could duplicate (or that it updates)."""
        starts = [u.session.start_utc for u in uploads]
        if not starts:
            return []
        window = MAX_START_GAP
        rows = self.con.execute(
            "SELECT a.activity_id, a.start_utc, a.elapsed_s, a.distance_m, s.stream_quality "
            "FROM activities a JOIN activity_sources s ON s.athlete_id = a.athlete_id "
            " AND s.source = a.primary_source AND s.source_id = a.primary_source_id "
            "WHERE a.athlete_id = ? AND NOT a.deleted AND (a.start_utc BETWEEN ? AND ? "
            " OR a.activity_id IN (SELECT activity_id FROM activity_sources "
            "  WHERE athlete_id = ? AND list_contains(?, source || ':' || source_id)))",
            [
                self.athlete_id,
                min(starts) - window,
                max(starts) + window,
                self.athlete_id,
                [f"{u.source}:{u.source_id}" for u in uploads],
            ],
        ).fetchall()
        return [
            Known(int(aid), Recording(start, elapsed, distance), float(quality), stored=True)
            for aid, start, elapsed, distance, quality in rows
        ]

    def _seen_sources(self, uploads: list[Upload]) -> dict[tuple[str, str], tuple[int, bool]]:
        """Source records stored before: (source, id) -> (activity, is its primary)."""
        rows = self.con.execute(
            "SELECT s.source, s.source_id, s.activity_id, "
            " (a.primary_source = s.source AND a.primary_source_id = s.source_id) "
            "FROM activity_sources s JOIN activities a USING (athlete_id, activity_id) "
            "WHERE s.athlete_id = ? AND list_contains(?, s.source || ':' || s.source_id)",
            [self.athlete_id, [f"{u.source}:{u.source_id}" for u in uploads]],
        ).fetchall()
        return {(src, sid): (int(aid), bool(primary)) for src, sid, aid, primary in rows}

    def _new_ids(self, uploads: list[Upload]) -> Iterator[int]:
        """Activity ids from the sequence, one per upload (unused ones leave gaps)."""
        count = len(uploads)
        rows = self.con.execute(
            "SELECT nextval('activity_id_seq') FROM range(?)", [count]
        ).fetchall()
        return iter(int(row[0]) for row in rows)

    def _write_batch(self, batch: Batch, uploads: list[Upload]) -> None:
        """Write everything a batch decided, a few bulk statements per table."""
        files = [u for u in uploads if u.content is not None and u.file_sha256]
        raw = pl.DataFrame(
            {
                "athlete_id": [self.athlete_id] * len(files),
                "sha256": [u.file_sha256 for u in files],
                "size_bytes": [len(u.content or b"") for u in files],
                "content": [u.content for u in files],
                "first_path": [u.path for u in files],
            },
            schema={
                "athlete_id": pl.String,
                "sha256": pl.String,
                "size_bytes": pl.Int64,
                "content": pl.Binary,
                "first_path": pl.String,
            },
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
        self._insert("activity_sources", self._with_athlete(batch.source_frame()), replace=True)
        self._insert("import_log", self._with_athlete(batch.log_frame()))

    def _with_athlete(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(athlete_id=pl.lit(self.athlete_id))

    def _insert(
        self,
        table: str,
        frame: pl.DataFrame,
        on_conflict: str | None = None,
        replace: bool = False,
    ) -> None:
        """Bulk-insert a frame by column name through Arrow (replace: upsert on the key)."""
        if frame.is_empty():
            return
        self.con.register("incoming", frame.to_arrow())
        try:
            columns = ", ".join(frame.columns)
            conflict = f" ON CONFLICT {on_conflict}" if on_conflict else ""
            verb = "INSERT OR REPLACE" if replace else "INSERT"
            self.con.execute(
                f"{verb} INTO {table} ({columns}) SELECT {columns} FROM incoming{conflict}"
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

    # -- syncs ----------------------------------------------------------------

    def source_ids(self, source: str) -> set[str]:
        """Every stored record id of one source (to find what was deleted upstream)."""
        rows = self.con.execute(
            "SELECT source_id FROM activity_sources WHERE athlete_id = ? AND source = ?",
            [self.athlete_id, source],
        ).fetchall()
        return {row[0] for row in rows}

    def mark_deleted(self, source: str, source_ids: list[str]) -> int:
        """Mark activities deleted whose only records are these (deleted upstream)."""
        if not source_ids:
            return 0
        rows = self.con.execute(
            "UPDATE activities SET deleted = true, updated_at = current_timestamp "
            "WHERE athlete_id = $athlete AND NOT deleted AND activity_id IN ("
            " SELECT activity_id FROM activity_sources WHERE athlete_id = $athlete "
            " GROUP BY activity_id HAVING bool_and(source = $source "
            " AND list_contains($ids, source_id))) RETURNING activity_id",
            {"athlete": self.athlete_id, "source": source, "ids": source_ids},
        ).fetchall()
        return len(rows)

    def newest_start(self, source: str) -> dt.datetime | None:
        """Start (UTC) of the newest stored record of a source: the incremental cursor."""
        value = self.scalar(
            "SELECT max(start_utc) FROM activity_sources WHERE athlete_id = ? AND source = ?",
            [self.athlete_id, source],
        )
        return value if isinstance(value, dt.datetime) else None

    def save_thresholds(self, rows: list[dict[str, Any]]) -> None:
        """Upsert dated markers: dicts of source, marker, value, effective_from, note."""
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

    # -- analysis ------------------------------------------------------------

    def activities_to_analyze(
        self, since: dt.date | None, rebuild: bool, sports: tuple[str, ...]
    ) -> list[int]:
        """Runs without a stored structure (every run with `rebuild`), oldest first."""
        rows = self.con.execute(
            "SELECT a.activity_id FROM activities a WHERE a.athlete_id = $athlete "
            "AND NOT a.deleted AND list_contains($sports, a.sport) AND a.sample_count > 0 "
            "AND ($since IS NULL OR CAST(a.start_local AS DATE) >= $since) "
            "AND ($rebuild OR NOT EXISTS (SELECT 1 FROM structures s WHERE "
            " s.athlete_id = a.athlete_id AND s.activity_id = a.activity_id "
            " AND s.analyzed_at >= a.updated_at)) "
            "ORDER BY a.start_utc",
            {
                "athlete": self.athlete_id,
                "sports": list(sports),
                "since": since,
                "rebuild": rebuild,
            },
        ).fetchall()
        return [int(row[0]) for row in rows]

    def activities_to_zone(self, since: dt.date | None, sports: tuple[str, ...]) -> list[int]:
        """Runs whose structure is saved but whose best efforts and zones are not, oldest first.

        (A run killed between the two saves: save_structures drops the zone rows.)
        """
        rows = self.con.execute(
            "SELECT a.activity_id FROM activities a JOIN structures s "
            "USING (athlete_id, activity_id) WHERE a.athlete_id = $athlete AND NOT a.deleted "
            "AND list_contains($sports, a.sport) AND a.sample_count > 0 "
            "AND s.analyzed_at >= a.updated_at "
            "AND ($since IS NULL OR CAST(a.start_local AS DATE) >= $since) "
            "AND NOT EXISTS (SELECT 1 FROM activity_peaks p WHERE "
            " p.athlete_id = a.athlete_id AND p.activity_id = a.activity_id) "
            "ORDER BY a.start_utc",
            {"athlete": self.athlete_id, "sports": list(sports), "since": since},
        ).fetchall()
        return [int(row[0]) for row in rows]

    def save_structures(
        self, activity_ids: list[int], segments: pl.DataFrame, labels: pl.DataFrame
    ) -> None:
        """Replace the intervals and structure labels of these activities, in one transaction."""
        with self.transaction():
            # later stages' rows go too: what is left per stage is read from its own table
            for table in ("intervals", "structures", "activity_peaks", "zone_time", "sessions"):
                self._delete_for(table, activity_ids)
            self._insert("intervals", self._with_athlete(segments))
            self._insert("structures", self._with_athlete(labels))

    def structures(self, activity_ids: list[int] | None = None) -> pl.DataFrame:
        """Stored structure labels."""
        return self._frame(
            "SELECT * EXCLUDE (athlete_id) FROM structures WHERE athlete_id = $athlete "
            "AND ($ids IS NULL OR list_contains($ids, activity_id)) ORDER BY activity_id",
            {"athlete": self.athlete_id, "ids": activity_ids},
        )

    def intervals(self, activity_ids: list[int] | None = None) -> pl.DataFrame:
        """Stored segments, in order."""
        return self._frame(
            "SELECT * EXCLUDE (athlete_id) FROM intervals WHERE athlete_id = $athlete "
            "AND ($ids IS NULL OR list_contains($ids, activity_id)) "
            "ORDER BY activity_id, seg_index",
            {"athlete": self.athlete_id, "ids": activity_ids},
        )

    def activity(self, activity_id: int) -> dict[str, Any] | None:
        """One activity's row, or None."""
        frame = self._frame(
            "SELECT * FROM activities WHERE athlete_id = ? AND activity_id = ?",
            [self.athlete_id, activity_id],
        )
        return frame.row(0, named=True) if frame.height else None

    # zones, sessions, lactate (issue 6) ...............................

    def save_zone_analysis(
        self, activity_ids: list[int], peaks: pl.DataFrame, zone_time: pl.DataFrame
    ) -> None:
        """Replace the best efforts and time in zone of these activities, in one transaction."""
        with self.transaction():
            self._delete_for("activity_peaks", activity_ids)
            self._delete_for("zone_time", activity_ids)
            self._insert("activity_peaks", self._with_athlete(peaks))
            self._insert("zone_time", self._with_athlete(zone_time))

    def peaks(self) -> pl.DataFrame:
        """Best efforts of every analysed run (the data behind estimated markers)."""
        return self._frame(
            "SELECT p.* EXCLUDE (athlete_id) FROM activity_peaks p JOIN activities a "
            "USING (athlete_id, activity_id) WHERE p.athlete_id = ? AND NOT a.deleted "
            "ORDER BY p.local_date",
            [self.athlete_id],
        )

    def zone_time(
        self, activity_ids: list[int] | None = None, model: str | None = None
    ) -> pl.DataFrame:
        """Stored seconds per zone (seg_index NULL: the whole activity)."""
        return self._frame(
            "SELECT * EXCLUDE (athlete_id) FROM zone_time WHERE athlete_id = $athlete "
            "AND ($ids IS NULL OR list_contains($ids, activity_id)) "
            "AND ($model IS NULL OR model = $model) "
            "ORDER BY activity_id, seg_index NULLS FIRST, model, zone",
            {"athlete": self.athlete_id, "ids": activity_ids, "model": model},
        )

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
            "distance_m FROM activities WHERE athlete_id = ? AND NOT deleted "
            "AND list_contains(?, CAST(start_local AS DATE)) ORDER BY start_utc",
            [self.athlete_id, dates],
        )

    def dates_to_type(self, since: dt.date | None, rebuild: bool) -> list[dt.date]:
        """Local dates with an activity whose session row is missing or older than it."""
        rows = self.con.execute(
            "SELECT DISTINCT CAST(a.start_local AS DATE) AS d FROM activities a "
            "WHERE a.athlete_id = $athlete AND NOT a.deleted "
            "AND ($since IS NULL OR CAST(a.start_local AS DATE) >= $since) "
            "AND ($rebuild OR NOT EXISTS (SELECT 1 FROM sessions s WHERE "
            " s.athlete_id = a.athlete_id AND s.activity_id = a.activity_id "
            " AND s.analyzed_at >= a.updated_at)) ORDER BY d",
            {"athlete": self.athlete_id, "since": since, "rebuild": rebuild},
        ).fetchall()
        return [row[0] for row in rows]

    def save_sessions(self, sessions: pl.DataFrame) -> None:
        """Replace the session rows of the activities in `sessions`, in one transaction."""
        with self.transaction():
            self._delete_for("sessions", sessions["activity_id"].to_list())
            self._insert("sessions", self._with_athlete(sessions))

    def sessions(self, activity_ids: list[int] | None = None) -> pl.DataFrame:
        """Stored session types."""
        return self._frame(
            "SELECT * EXCLUDE (athlete_id) FROM sessions WHERE athlete_id = $athlete "
            "AND ($ids IS NULL OR list_contains($ids, activity_id)) ORDER BY activity_id",
            {"athlete": self.athlete_id, "ids": activity_ids},
        )

    def add_lactate(self, readings: pl.DataFrame) -> list[int]:
        """Store readings (activity_id, set_no, rep_no, taken_at, mmol, note, source); ids."""
        if readings.is_empty():
            return []
        self.con.register("incoming", self._with_athlete(readings).to_arrow())
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
        return self._frame(
            "SELECT * EXCLUDE (athlete_id) FROM lactate WHERE athlete_id = $athlete "
            "AND ($ids IS NULL OR list_contains($ids, activity_id)) ORDER BY reading_id",
            {"athlete": self.athlete_id, "ids": activity_ids},
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

    # weekly report (issue 7) ..............................................

    def report_activities(self, first: dt.date, last: dt.date) -> pl.DataFrame:
        """Activities (all sports) with a local date in [first, last], for the weekly report."""
        return self._frame(
            "SELECT a.activity_id, a.sport, a.start_local, a.elapsed_s, a.timer_s, a.distance_m, "
            "a.avg_hr, (SELECT count(*) FROM activity_sources s WHERE s.athlete_id = "
            "a.athlete_id AND s.activity_id = a.activity_id) AS recordings FROM activities a "
            "WHERE a.athlete_id = $athlete AND NOT a.deleted "
            "AND CAST(a.start_local AS DATE) BETWEEN $first AND $last ORDER BY a.start_utc",
            {"athlete": self.athlete_id, "first": first, "last": last},
        )

    def report_reps(self, activity_ids: list[int]) -> pl.DataFrame:
        """Work reps of these activities, in time order."""
        return self._frame(
            "SELECT activity_id, set_no, rep_no, start_utc, duration_s, distance_m, "
            "avg_speed_mps, avg_hr, avg_hr_2nd_half FROM intervals WHERE athlete_id = $athlete "
            "AND kind = 'work' AND list_contains($ids, activity_id) "
            "ORDER BY activity_id, start_utc",
            {"athlete": self.athlete_id, "ids": activity_ids},
        )

    def latest_local_start(self) -> dt.datetime | None:
        """Local start of the newest activity (what the default report week follows)."""
        value = self.scalar(
            "SELECT max(start_local) FROM activities WHERE athlete_id = ? AND NOT deleted",
            [self.athlete_id],
        )
        return value if isinstance(value, dt.datetime) else None

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

    # -- reads ----------------------------------------------------------------

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

    def query(self, sql: str, params: dict[str, Any]) -> pl.DataFrame:
        """Run user SQL (one SELECT, named parameters as $name) in the sandbox; from the
        first call on, this connection reaches no file outside the store (store/sandbox.py)."""
        try:
            frame: pl.DataFrame = run_user_sql(self.con, sql, params).pl()
            return frame
        except QueryRefused as exc:
            raise StoreError(str(exc)) from exc
        except duckdb.Error as exc:
            refused = refusal_of(exc)
            raise StoreError(str(refused or f"query failed: {_first_line(exc)}")) from exc
        except pl.exceptions.PolarsError as exc:  # a column type polars cannot hold
            raise StoreError(
                f"query result has a column type terskel cannot show ({_first_line(exc)}); "
                "CAST it to VARCHAR"
            ) from exc

    def export_parquet(self, folder: Path) -> dict[str, int]:
        """Write the core tables as Parquet, partitioned by athlete and year; row counts."""
        counts = {}
        prepare_folder(folder, _EXPORTS)
        for table, year_of in _EXPORTS.items():
            target = folder / table
            self.con.execute(
                f"COPY (SELECT t.*, {year_of} AS year FROM {table} t) TO '{_sql_text(target)}' "
                "(FORMAT parquet, PARTITION_BY (athlete_id, year), OVERWRITE_OR_IGNORE)"
            )
            counts[table] = int(self.scalar(f"SELECT count(*) FROM {table}"))
        return counts

    def table_counts(self) -> dict[str, int]:
        """Row counts of the core tables, for summaries and tests."""
        counts = {}
        for table in ("activities", "activity_sources", "raw_files", "laps", "samples"):
            sql = f"SELECT count(*) FROM {table} WHERE athlete_id = ?"
            counts[table] = int(self.scalar(sql, [self.athlete_id]))
        return counts


# table -> timestamp columns moved by Store.shift_activity
_SHIFTED = {
    "activities": ("start_utc", "start_local"),
    "activity_sources": ("start_utc",),
    "laps": ("start_utc", "end_utc"),
    "samples": ("t",),
    "lactate": ("taken_at",),
}

# table -> expression for the year a row belongs to (the activity's local year)
_ACTIVITY_YEAR = (
    "(SELECT year(a.start_local) FROM activities a WHERE a.activity_id = t.activity_id)"
)
_EXPORTS = {
    "activities": "year(t.start_local)",
    "activity_sources": "year(t.start_utc)",
    "laps": _ACTIVITY_YEAR,
    "samples": "year(t.t)",
    "import_log": "year(t.logged_at)",
    "sync_log": "year(t.started_at)",
    "athlete_thresholds": "year(t.effective_from)",
    "intervals": "year(t.start_utc)",
    "structures": _ACTIVITY_YEAR,
    "zone_time": _ACTIVITY_YEAR,
    "sessions": "year(t.local_date)",
    "lactate": f"coalesce({_ACTIVITY_YEAR}, year(t.created_at))",
    "activity_peaks": "year(t.local_date)",
}


def _sql_text(path: Path) -> str:
    """A path as the inside of a SQL string literal."""
    return str(path).replace("'", "''")


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's message."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
