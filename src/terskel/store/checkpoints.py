"""When a writer checkpoints: when the WAL has grown, not at every close (issue 14).

DuckDB checkpoints on close by default, and a checkpoint rewrites the last row group of
every table a run touched into fresh 256 KiB blocks. For a nightly import of one file
that means `raw_files` (one row group holding every original file, ZSTD-compressed as
one segment: rewritten whole), samples, laps, the analysis tables and their indexes: on
a 1,092-run store about 1 s of CPU and 8 MB of new blocks (the blocks it frees are only
reusable by the next checkpoint), for a 0.5 MB file. Deferring it to when the WAL
passes `WAL_CHECKPOINT` spreads that over several nights; commits stay durable (the WAL
is fsynced), and the next open, read-only ones too, replays the WAL first.

Measured on the 1,092-run bench store (folded first): a CHECKPOINT after inserting one
0.53 MB file's row into raw_files costs 0.52 s CPU and grows the file by 13.4 MB (the
whole raw_files row group is rewritten, compressed or not: uncompressed it is 27.8 MB);
after inserting that run's 6,594 samples alone, 0.009 s and no growth. So a one-file
import cannot fold its ~1.1 MB WAL cheaply (WAL = raw bytes + uncompressed samples, 2.1x
the file) while raw bytes live in one row group of one table.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

# WAL size that triggers a checkpoint at the next commit. A read-only open replays at
# most this much (~0.1 s per 2 MB); a nightly file adds about twice its size.
WAL_CHECKPOINT_BYTES = 4_000_000
WAL_CHECKPOINT = f"{WAL_CHECKPOINT_BYTES // 1_000_000}MB"  # DuckDB's MB: 10^6 bytes
# during a bulk write (an import of many files, a rebuild): never at a commit
BULK_THRESHOLD = "1TB"


def defer_checkpoints(con: duckdb.DuckDBPyConnection) -> None:
    """Checkpoint when the WAL passes WAL_CHECKPOINT, not on close (writers only)."""
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.execute(f"SET checkpoint_threshold = '{WAL_CHECKPOINT}'")


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Fold the WAL into the store file now (one file again, e.g. before a copy)."""
    con.execute("CHECKPOINT")


@contextmanager
def held(con: duckdb.DuckDBPyConnection, path: Path) -> Iterator[None]:
    """Hold checkpoints during a bulk write, then fold the WAL once if it passed the threshold.

    Each checkpoint rewrites the last row group of every table touched (raw_files' one
    ZSTD segment whole), so checkpointing at every 4 MB of a 37 MB import rewrote the
    growing tables nine times: 2.8 s of CPU, and a store of 69 MB instead of 40 MB.
    """
    con.execute(f"SET checkpoint_threshold = '{BULK_THRESHOLD}'")
    try:
        yield
    finally:
        con.execute(f"SET checkpoint_threshold = '{WAL_CHECKPOINT}'")
    wal = path.with_name(path.name + ".wal")
    if wal.exists() and wal.stat().st_size > WAL_CHECKPOINT_BYTES:
        checkpoint(con)
