"""Imports: raw files, uploads deduplicated into activities, the import log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from terskel.sources.model import Upload
from terskel.store import faults
from terskel.store.batch import Batch, Known, SaveOutcome
from terskel.store.dedupe import MAX_START_GAP, Recording
from terskel.store.device_markers import device_rows
from terskel.store.thresholds import Thresholds

if TYPE_CHECKING:  # polars loads where frames are built: `query` reads none
    import polars as pl


# the keys the upserts match on (schema v11: no index, store/core.py _upsert)
RAW_KEY = ("athlete_id", "sha256")
SOURCE_KEY = ("athlete_id", "source", "source_id")


class Uploads(Thresholds):
    """Store part that saves imported uploads (raw_files, activities, streams, import_log)."""

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
        # the files' bytes first, durably: a committed raw_files row never points at nothing
        paths = self.raw.put_many(
            (u.file_sha256, u.content) for u in uploads if u.content is not None and u.file_sha256
        )
        faults.reached("raw_written")
        with self.transaction():
            batch = Batch(
                self._recordings_near(uploads), self._seen_sources(uploads), self._new_ids(uploads)
            )
            outcomes = [batch.add(upload) for upload in uploads]
            self._write_batch(batch, uploads, paths)
            if rows := device_rows(uploads):  # the watch's own HR settings (source `device`)
                self.save_device_markers(rows)
        return batch.settled(uploads, outcomes)

    def raw_bytes(self, sha256: str) -> bytes | None:
        """The original bytes of an imported file (None when no file has this hash)."""
        path = self.scalar(
            "SELECT path FROM raw_files WHERE athlete_id = ? AND sha256 = ?",
            [self.athlete_id, sha256],
        )
        return None if path is None else self.raw.get(str(path), sha256)

    def raw_files_missing(self) -> list[str]:
        """raw_files rows whose payload is not in the raw folder (empty in a whole store)."""
        stored = self.raw.stored()
        rows = self.con.execute("SELECT sha256, path FROM raw_files ORDER BY sha256").fetchall()
        return [sha for sha, path in rows if path not in stored]

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
            "SELECT a.activity_id, a.start_utc, a.elapsed_s, a.distance_m, s.stream_quality, "
            " a.primary_source || ':' || a.primary_source_id, "
            " NOT EXISTS (SELECT 1 FROM import_log l WHERE l.athlete_id = a.athlete_id "
            "  AND l.sha256 = s.file_sha256 "
            "  AND l.status IN ('imported', 'linked', 'updated') AND l.message IS NOT NULL) "
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
            Known(int(aid), Recording(start, elapsed, distance), float(quality), True, key, clean)
            for aid, start, elapsed, distance, quality, key, clean in rows
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

    def _write_batch(self, batch: Batch, uploads: list[Upload], paths: dict[str, str]) -> None:
        """Write everything a batch decided, a few bulk statements per table."""
        import polars as pl

        files = [u for u in uploads if u.content is not None and u.file_sha256]
        raw = pl.DataFrame(
            {
                "athlete_id": [self.athlete_id] * len(files),
                "sha256": [u.file_sha256 for u in files],
                "size_bytes": [len(u.content or b"") for u in files],
                "path": [paths[u.file_sha256 or ""] for u in files],
                "first_path": [u.path for u in files],
            },
            schema={
                "athlete_id": pl.String,
                "sha256": pl.String,
                "size_bytes": pl.Int64,
                "path": pl.String,
                "first_path": pl.String,
            },
        ).unique("sha256", keep="first")
        self._upsert("raw_files", raw, RAW_KEY, update=False)  # a file stored before stays
        replaced = [aid for aid in batch.updated if aid not in batch.created]
        for table in ("samples", "laps"):
            self._delete_for(table, replaced)
        for aid in replaced:
            self._update_activity(aid, batch.updated[aid])
        self._insert("activities", self._with_athlete(batch.activity_frame()))
        for table, frame in batch.stream_frames().items():
            self._insert(table, self._with_athlete(frame))
        self._upsert("activity_sources", self._with_athlete(batch.source_frame()), SOURCE_KEY)
        self._insert("import_log", self._with_athlete(batch.log_frame()))

    def _update_activity(self, activity_id: int, values: dict[str, Any]) -> None:
        assignments = ", ".join(f"{name} = ?" for name in values if name != "activity_id")
        params = [v for k, v in values.items() if k != "activity_id"]
        self.con.execute(
            f"UPDATE activities SET {assignments}, updated_at = current_timestamp "
            "WHERE activity_id = ?",
            [*params, activity_id],
        )

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
            sql = f"SELECT count(*) FROM {table} WHERE athlete_id = ?"
            counts[table] = int(self.scalar(sql, [self.athlete_id]))
        return counts
