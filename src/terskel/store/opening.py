"""Opening a store file: wait (bounded) for another process, and refuse what is not a
whole terskel store of a schema this version knows, before anything is written.

DuckDB lets one process write a file, and no other process open it meanwhile (readers
share a lock that writers cannot get). So a writer waits minutes (a sync under cron
should not fail because `terskel report` ran), a reader a few seconds; then both say
in one line who holds the file.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from terskel.store.errors import StoreError, StoreLocked
from terskel.store.lock import POLL_S, read_holder
from terskel.store.schema import latest_version

READ_WAIT_S = 15.0  # a reader during a sync: wait this long, then say who writes
WRITE_WAIT_S = 180.0  # a writer (cron's sync) waits this long for the lock
HEADER_BYTES = 3 * 4096  # DuckDB's file header and its two database headers
# Block size of a new store file (DuckDB's default: 256 KiB; a file keeps the size it was
# created with). A checkpoint writes the last row group of every table a commit touched,
# and every touched table's ART index, into fresh blocks, and frees the old ones only once
# it is done: a nightly import touches 12 tables, most of them smaller than one block, so
# it took 24 new blocks (6.3 MB on the 1,092-run bench store for a 0.5 MB file) and left
# as many free. 64 KiB blocks hold the same rows in a quarter of the space each
# (store/checkpoints.py has the figures); 32 KiB blocks made the store 17 % bigger
# (94 MB, for 1.40 MB instead of 1.57 MB the first night), 16 KiB blocks 22 %.
NEW_FILE_BLOCK_SIZE = 65_536
# Tables every terskel store has from schema v1 on (a file without them is foreign).
CORE_TABLES = frozenset({"activities", "activity_sources", "raw_files", "samples"})


def default_wait(read_only: bool) -> float:
    """How long to wait for another process by default: seconds to read, minutes to write."""
    return READ_WAIT_S if read_only else WRITE_WAIT_S


def open_connection(
    path: Path, read_only: bool, wait_s: float, on_wait: Callable[[str], None] | None = None
) -> tuple[duckdb.DuckDBPyConnection, int]:
    """A connection to a whole terskel store (or a new file when writing) and the file's
    schema version (0 for a new file); StoreError else."""
    con = _connect(path, read_only, wait_s, on_wait)
    try:
        _check_whole(con, path)
        version = check_identity(con, path, read_only)
    except BaseException:
        con.close()
        raise
    return con, version


def _connect(
    path: Path, read_only: bool, wait_s: float, on_wait: Callable[[str], None] | None
) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_s
    told = False
    while True:
        try:
            if read_only:
                return duckdb.connect(str(path), read_only=True)
            # read when DuckDB creates the file; an existing file keeps its own block size
            config: dict[str, str | bool | int | float | list[str]] = {
                "default_block_size": NEW_FILE_BLOCK_SIZE
            }
            return duckdb.connect(str(path), config=config)
        except duckdb.IOException as exc:
            if not _is_lock_conflict(exc):
                raise StoreError(
                    f"{path}: cannot open the store: not a DuckDB file, or damaged "
                    f"({_first_line(exc)})"
                ) from exc
            if time.monotonic() >= deadline:
                raise StoreLocked(busy_message(path, exc, wait_s)) from exc
            if not told and on_wait is not None:
                on_wait(f"{path}: waiting up to {wait_s:.0f} s for {_who(path, exc)}")
                told = True
            time.sleep(POLL_S)
        except duckdb.Error as exc:
            raise StoreError(f"{path}: cannot open the store ({_first_line(exc)})") from exc


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    # IO Error: Could not set lock on file "/x.duckdb": Conflicting lock is held in
    # /usr/bin/python3.12 (PID 4242) by user me. See also https://duckdb.org/...
    return "lock" in str(exc).lower()


def busy_message(path: Path, exc: duckdb.Error, waited_s: float) -> str:
    """One line: who has the store open, and when to try again."""
    waited = f" (waited {waited_s:.0f} s)" if waited_s else ""
    return f"{path}: {_who(path, exc)} has the store open{waited}; try again when it has finished"


def _who(path: Path, exc: duckdb.Error) -> str:
    """The terskel writer from the lock file, else the pid DuckDB names."""
    holder = read_holder(path)
    if holder is not None and holder.pid != os.getpid():  # a writer holds it itself
        return f"terskel ({holder.describe()})"
    match = re.search(r"\(PID (\d+)\)", str(exc))
    if match is None:
        return "another process"
    return f"another process (pid {match[1]}{_cmdline(int(match[1]))})"


def _cmdline(pid: int) -> str:
    """`, duckdb my.duckdb`: the holder's command line where /proc tells it."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    text = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    return f", {text[:60]}" if text else ""


def _check_whole(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a file shorter than the blocks its header lists (a truncated copy)."""
    if path.with_name(path.name + ".wal").exists():
        return  # blocks the WAL adds are not in the file yet
    rows = con.execute(
        "SELECT block_size, total_blocks, free_blocks FROM pragma_database_size() "
        "WHERE database_name = current_database()"
    ).fetchall()
    if not rows:
        return
    block_size, total_blocks, free_blocks = rows[0]
    # a checkpoint cuts free blocks off the file's end, total_blocks still counts them:
    # the file holds at least every used block
    expected = HEADER_BYTES + int(block_size) * (int(total_blocks) - int(free_blocks))
    size = path.stat().st_size
    if total_blocks and size < expected:
        raise StoreError(
            f"{path}: the store file is truncated ({size:,} of {expected:,} bytes); "
            "restore it from a copy or import again into a new file"
        )


def check_identity(con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> int:
    """The file's schema version; StoreError for a foreign file or one of another schema."""
    version = _quick_version(con)
    if version is None:  # a new, foreign or damaged-looking file: look at every name
        version = _version_of_names(con, path, read_only)
    if version > latest_version():
        raise StoreError(
            f"{path}: written by a newer terskel (schema v{version}; this one knows up to "
            f"v{latest_version()}); update terskel to use this store"
        )
    if read_only and version < latest_version():
        raise StoreError(
            f"{path}: the store has schema v{version} and this terskel v{latest_version()}; "
            "run a writing command once (e.g. `terskel init`) to upgrade it"
        )
    return version


def _quick_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version of a file with a version >= 1 and the core tables, read in one
    query that only binds those tables (~1 ms; listing every table and view, as
    `_version_of_names` does, costs ~10 ms of a read-only command); None otherwise."""
    tables = ", ".join(sorted(CORE_TABLES))
    try:
        rows = con.execute(
            "SELECT max(version) FROM schema_version "
            f"WHERE NOT EXISTS (SELECT 1 FROM {tables} WHERE false)"
        ).fetchall()
    except duckdb.CatalogException:  # a table is missing: the full look says what it is
        return None
    version = int(rows[0][0] or 0) if rows else 0
    return version if version >= 1 else None


def _version_of_names(con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> int:
    """The schema version after checking the file's tables and views are terskel's."""
    names = _object_names(con)
    if not names:
        if read_only:
            raise StoreError(f"{path}: an empty DuckDB file, not a terskel store yet")
        return 0  # a new file: the migrations create everything
    if "schema_version" not in names:
        raise _foreign(path)
    rows = con.execute("SELECT max(version) FROM schema_version").fetchall()
    version = int(rows[0][0] or 0) if rows else 0
    if (version >= 1 and not names >= CORE_TABLES) or (version == 0 and len(names) > 1):
        raise _foreign(path)
    return version


def _object_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "UNION ALL SELECT view_name FROM duckdb_views() "
        "WHERE database_name = current_database() AND NOT internal"
    ).fetchall()
    return {str(row[0]) for row in rows}


def _foreign(path: Path) -> StoreError:
    return StoreError(
        f"{path}: not a terskel store (a DuckDB file with other tables); "
        "choose another file with --db"
    )


@contextmanager
def read_errors(path: Path) -> Iterator[None]:
    """Turn a store file that fails while it is read into one StoreError line."""
    try:
        yield
    except duckdb.IOException as exc:
        raise StoreError(f"{path}: cannot read the store, damaged? ({_first_line(exc)})") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
