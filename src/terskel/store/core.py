"""The connection core of the Store: open, migrate, transactions, bulk reads and writes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import duckdb

from terskel.store import faults
from terskel.store.blocks import block_size, copy_to_small_blocks, has_room_to_copy
from terskel.store.checkpoints import (
    checkpoint,
    defer_checkpoints,
    fold_after_commit,
    fold_at_close,
    held,
)
from terskel.store.errors import StoreError, StoreLocked
from terskel.store.lock import StoreBusy, WriterLock
from terskel.store.opening import NEW_FILE_BLOCK_SIZE, default_wait, open_connection
from terskel.store.raw_folder import RawFolder, folder_of
from terskel.store.rows import ArrowStream, read_frame
from terskel.store.schema import (
    MIGRATIONS,
    RAW_TO_FOLDER,
    REWRITES_BIG_TABLE,
    STORED_AS,
    latest_version,
    visible,
)
from terskel.store.views import ensure_views

if TYPE_CHECKING:  # polars loads where frames are built: `query` reads none
    import polars as pl

# A samples or laps read of at most this many runs (a nightly's new one) comes as rows.
FEW_RUNS = 2


class StoreCore:
    """A terskel DuckDB file, opened for one athlete: what every concept's part builds on."""

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
        self.raw = RawFolder(folder_of(path))  # original file bytes (store/raw_folder.py)
        # a read-only store serves a command someone waits for (report, query, status):
        # its per-run reads come as rows, so that pyarrow is never imported (store/rows.py)
        self._row_reads = False
        self._types: dict[str, dict[str, str]] = {}  # table -> column -> type (_upsert)
        self._bulk = 0  # depth of bulk_writes: no checkpoint at each commit meanwhile

    @classmethod
    def open(
        cls,
        path: Path,
        athlete_id: str = "me",
        read_only: bool = False,
        wait_s: float | None = None,
        on_wait: Callable[[str], None] | None = None,
        upgrading: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> Self:
        """Open (and create or migrate, unless read-only) the store at `path`, waiting up to
        `wait_s` for another process (default: seconds to read, minutes to write).

        `upgrading`: the context a writer's migrations run in, and all of a new file's
        opening (nobody to wait for there); the CLI's holds a SIGTERM until they are done:
        cut part-way, a new store was left empty or at an early schema, which every
        reading command refuses until a writing one has run."""
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
        left = max(0.0, wait - (time.monotonic() - started))
        creating = lock is not None and not path.exists()  # no other writer: the lock is ours
        store: Self | None = None
        try:
            with upgrading() if creating else nullcontext():
                store = cls._opened(path, athlete_id, lock, left, on_wait, upgrading)
        except BaseException:
            if store is not None:  # opened whole, then a SIGTERM held meanwhile
                store.close()
            raise
        return store

    @classmethod
    def _opened(
        cls,
        path: Path,
        athlete_id: str,
        lock: WriterLock | None,
        wait_s: float,
        on_wait: Callable[[str], None] | None,
        upgrading: Callable[[], AbstractContextManager[object]],
    ) -> Self:
        """`open` once the writer's lock is taken (or for a reader, `lock` None); whatever
        it opened is closed again when it fails."""
        read_only = lock is None
        try:
            con, version = open_connection(path, read_only, wait_s, on_wait)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        store = cls(con, athlete_id, path, lock)
        try:
            _configure(con, read_only)
            store._row_reads = read_only
            if not read_only:
                with upgrading():  # each migration lands whole or not at all
                    rewrote = store._migrate(version)
                    ensure_views(con)
                    store._to_small_blocks(rewrote)
        except BaseException:
            store.close()
            raise
        return store

    def _to_small_blocks(self, rewrote: bool = False) -> None:
        """Copy a store of DuckDB's 256 KiB blocks into small ones, once (store/blocks.py),
        and a store a migration has just rewritten a big table of (`rewrote`): a DuckDB
        file never shrinks, so the old table's blocks would stay as free space. A disk
        without room for the copy, or a copy that fails, leaves the store as it was."""
        small = block_size(self.con) == NEW_FILE_BLOCK_SIZE
        if (small and not rewrote) or not has_room_to_copy(self.path):
            return
        try:
            self.con.execute("CHECKPOINT")  # one file: what the copy reads
        except duckdb.Error:
            return  # the WAL stays (replayed at the next open), and so do the blocks
        self.con.close()
        with suppress(duckdb.Error, OSError):
            copy_to_small_blocks(self.path)
        try:
            self.con, _ = open_connection(self.path, False, default_wait(True))
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise
        _configure(self.con, read_only=False)

    def checkpoint(self) -> None:
        """Write the WAL into the store file (writers defer it: store/checkpoints.py)."""
        checkpoint(self.con)

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Many commits in a row: one checkpoint at the end, not one at each commit."""
        if self._bulk:  # the outer bulk write folds
            yield
            return
        self._bulk += 1
        try:
            with held(self.con):
                yield
        finally:
            self._bulk -= 1

    def close(self) -> None:
        """Fold a writer's WAL into the file, close, and let the next writer in."""
        if self._lock is not None:
            fold_at_close(self.con)
        self.con.close()
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> Self:
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

    def _migrate(self, opened: int) -> bool:
        """Apply missing migrations, each in one transaction with its version bump; whether
        one of them rewrote a big table (schema.REWRITES_BIG_TABLE).

        `opened`: the version `open_connection` read. A store that is up to date needs
        no more reads (the information_schema look of `schema_version` is ~0.01 s)."""
        if opened == latest_version():
            return False
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)"
        )
        current = self.schema_version()
        if current > latest_version():
            raise StoreError(f"{self.path}: store was written by a newer terskel (v{current})")
        with self.bulk_writes():  # a new store's eleven migrations: one checkpoint
            for version in range(current + 1, latest_version() + 1):
                if version == RAW_TO_FOLDER:  # bytes first, durably; then rows point at them
                    self._move_raw_bytes_out()
                with self.transaction():
                    self.con.execute(MIGRATIONS[version - 1])
                    self.con.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
        return current > 0 and any(v > current for v in REWRITES_BIG_TABLE)

    def _move_raw_bytes_out(self) -> None:
        """Write every raw_files row's bytes into the raw folder (the migration to v9).

        Rerunnable: a kill part-way leaves complete files (renamed into place) and the
        store at v8, so the next open writes the rest and then migrates."""
        result = self.con.execute("SELECT DISTINCT sha256, content FROM raw_files")
        while rows := result.fetchmany(64):
            for sha256, content in rows:
                self.raw.put(sha256, bytes(content))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block in one transaction: all of it lands, or none of it."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
            faults.committing(self.con)  # the tests' hold before a commit (store/faults.py)
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")
        faults.committed()
        if self._lock is not None and not self._bulk:
            # each commit's checkpoint on its own: the blocks one frees serve the next
            # (store/checkpoints.py, fold_after_commit)
            fold_after_commit(self.con)

    # -- bulk helpers of every part ------------------------------------------

    def _with_athlete(self, frame: pl.DataFrame) -> pl.DataFrame:
        import polars as pl

        return frame.with_columns(athlete_id=pl.lit(self.athlete_id))

    def _insert(self, table: str, frame: pl.DataFrame) -> None:
        """Bulk-insert a frame by column name through Arrow, without pyarrow (store/rows.py)."""
        if frame.is_empty():
            return
        stored = STORED_AS.get(table, {})
        targets = ", ".join(stored[c][0] if c in stored else c for c in frame.columns)
        values = ", ".join(stored[c][1] if c in stored else c for c in frame.columns)
        self.con.register("incoming", ArrowStream(frame))
        try:
            self.con.execute(f"INSERT INTO {table} ({targets}) SELECT {values} FROM incoming")
        finally:
            self.con.unregister("incoming")

    def _upsert(
        self, table: str, frame: pl.DataFrame, key: Sequence[str], update: bool = True
    ) -> None:
        """Insert a frame's rows whose `key` is new; with `update`, set the other columns
        of the stored rows whose key is there and whose values differ (one MERGE).

        What INSERT OR REPLACE and ON CONFLICT DO NOTHING did on a primary key, without
        the ART index a checkpoint rewrites (schema v11): columns the frame lacks keep
        their stored values (imported_at, recorded_at), and a row that would not change
        is not written, so its table is not touched. The frame's keys must be unique."""
        if frame.is_empty():
            return
        types = self._column_types(table)
        names = {c: f'"{c}"' for c in frame.columns}  # source, value: keywords elsewhere
        # the frame's columns as the table's types: an all-null column comes as Boolean
        cast = ", ".join(f"CAST({q} AS {types[c]}) AS {q}" for c, q in names.items())
        matched = " AND ".join(f"t.{names[c]} = i.{names[c]}" for c in key)
        values = [names[c] for c in frame.columns if c not in key]
        changed = " OR ".join(f"t.{q} IS DISTINCT FROM i.{q}" for q in values)
        sets = ", ".join(f"{q} = i.{q}" for q in values)
        when_matched = (
            f" WHEN MATCHED AND ({changed}) THEN UPDATE SET {sets}" if update and values else ""
        )
        columns = ", ".join(names.values())
        inserted = ", ".join(f"i.{q}" for q in names.values())
        self.con.register("incoming", ArrowStream(frame))
        try:
            self.con.execute(
                f"MERGE INTO {table} AS t USING (SELECT {cast} FROM incoming) AS i "
                f"ON {matched}{when_matched} "
                f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({inserted})"
            )
        finally:
            self.con.unregister("incoming")

    def _column_types(self, table: str) -> dict[str, str]:
        """A table's column names and SQL types (read once per connection and table)."""
        known = self._types.get(table)
        if known is None:
            rows = self.con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() "
                "WHERE database_name = current_database() AND table_name = ?",
                [table],
            ).fetchall()
            known = self._types[table] = {str(name): str(kind) for name, kind in rows}
        return known

    def _delete_for(self, table: str, activity_ids: list[int]) -> None:
        if activity_ids:
            self.con.execute(
                f"DELETE FROM {table} WHERE list_contains(?, activity_id)", [activity_ids]
            )

    def _by_activity(
        self,
        table: str,
        order: str,
        activity_ids: list[int] | None,
        bulk: bool = False,
        columns: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """A table's rows of these activities (all when None), without athlete_id (only
        `columns`, when given)."""
        picked = ", ".join(f'"{c}"' for c in columns) if columns else f"* {visible(table)}"
        return self._frame(
            f"SELECT {picked} FROM {table} WHERE athlete_id = $athlete "
            "AND ($ids IS NULL OR list_contains($ids, activity_id)) "
            f"ORDER BY {order}",
            {"athlete": self.athlete_id, "ids": activity_ids},
            self._through_arrow(activity_ids, bulk),
        )

    def _through_arrow(self, activity_ids: list[int] | None, bulk: bool = False) -> bool:
        """Whether a read of these runs' rows (None: every run's) goes through Arrow.

        A read of at most FEW_RUNS runs never does (a nightly's new run: no pyarrow);
        more runs' samples or laps (`bulk`) do, and so does a writer's read of a list of
        more runs (a rebuild's chunk of 250: Arrow is the faster copy). Other reads of
        every run are of small tables (lactate readings): rows."""
        if activity_ids is None:
            return bulk
        if len(activity_ids) <= FEW_RUNS:
            return False
        return bulk or not self._row_reads

    def _dicts(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """A small read as one dict a row, of DuckDB's Python values (no polars)."""
        # a cursor, not a relation (`con.sql`): the report's six reads take ~5 ms less
        cursor = self.con.execute(sql, params)
        names = [column[0] for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _frame(
        self, sql: str, params: dict[str, Any] | list[Any], bulk: bool = False
    ) -> pl.DataFrame:
        """Run a query and hand back a polars frame: through Arrow (no row-by-row copy) for
        `bulk` reads (see `_through_arrow`), from rows for the others while they are small.

        Rows keep pyarrow out: a report's reads and a nightly's one-run analysis (its
        import is ~0.03 s, and its first read's set-up ~0.01 s more)."""
        return read_frame(self.con, sql, params, bulk)


def _configure(con: duckdb.DuckDBPyConnection, read_only: bool) -> None:
    con.execute("SET TimeZone = 'UTC'")  # current_timestamp columns hold UTC
    # DuckDB draws its own bar on stdout for a statement past 2 s (the v9 migration's
    # on a real store), terminal or not: it would land in cron's mail
    con.execute("SET enable_progress_bar = false")
    if not read_only:
        defer_checkpoints(con)
