"""A store file made with DuckDB's 256 KiB blocks is copied once into 64 KiB blocks.

A file keeps the block size it was created with (store/opening.py, NEW_FILE_BLOCK_SIZE
says why small blocks: a checkpoint's fresh blocks for every touched table). So a
writer that opens an older store copies it: `COPY FROM DATABASE` into `<store>.blocks`
(tables, constraints, indexes, sequences and views; 0.7 s for the 1,092-run bench store,
85 MB -> 80 MB), then renames the copy over the store.

Crash safety: the store is checkpointed (one file, no WAL) before the copy, and the
copy is checkpointed, closed and fsynced before the rename, so a kill leaves either the
old file or the whole copy, never part of one; a leftover `<store>.blocks` of a killed
copy is removed by the next try. The writer lock is held throughout; the raw folder is
named by the store and stays as it is.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from terskel.store import faults
from terskel.store.opening import NEW_FILE_BLOCK_SIZE


def block_size(con: duckdb.DuckDBPyConnection) -> int:
    """The block size of the connection's database file."""
    rows = con.execute(
        "SELECT block_size FROM pragma_database_size() WHERE database_name = current_database()"
    ).fetchall()
    return int(rows[0][0]) if rows else NEW_FILE_BLOCK_SIZE


def has_room_to_copy(path: Path) -> bool:
    """Whether the disk holds a second copy of the store file with a margin; without it a
    copy would fail at every open (and cost a checkpoint and most of a copy each time)."""
    needed = 2 * path.stat().st_size + 64 * 2**20  # the copy, its WAL, room to go on
    return shutil.disk_usage(path.resolve().parent).free > needed


def copy_to_small_blocks(path: Path) -> None:
    """Replace the (closed, checkpointed) store file at `path` by a copy in small blocks;
    on a failure (a full disk) the copy is removed and the store stays as it was."""
    path = path.resolve()  # a link to the store stays a link; the copy goes beside the file
    copy = path.with_name(path.name + ".blocks")
    try:
        _copy(path, copy)
    except BaseException:
        for partial in (copy, copy.with_name(copy.name + ".wal")):
            partial.unlink(missing_ok=True)
        raise
    faults.reached("blocks_copied")  # the copy whole, not yet renamed
    os.replace(copy, path)
    descriptor = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _copy(path: Path, copy: Path) -> None:
    """Every object of the store at `path` into a new file `copy`, checkpointed and fsynced."""
    for stale in (copy, copy.with_name(copy.name + ".wal")):  # of a copy killed before
        stale.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        # the copy after v12 passes DuckDB's 2 s for its own bar on stdout: cron's mail
        con.execute("SET enable_progress_bar = false")
        con.execute("ATTACH ? AS old (READ_ONLY)", [str(path)])
        con.execute(f"ATTACH ? AS new (BLOCK_SIZE {NEW_FILE_BLOCK_SIZE})", [str(copy)])
        con.execute("COPY FROM DATABASE old TO new")
        faults.reached("blocks_copying")  # the copy written, not yet checkpointed
        con.execute("CHECKPOINT new")
        con.execute("DETACH new")
        con.execute("DETACH old")
    finally:
        con.close()
    if copy.with_name(copy.name + ".wal").exists():  # not folded: keep the old file
        raise duckdb.IOException(f"{copy}: the copy kept a WAL")
    with copy.open("rb") as handle:
        os.fsync(handle.fileno())
