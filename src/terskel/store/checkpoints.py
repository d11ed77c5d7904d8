"""When a writer checkpoints: after each commit, at close, and once after a bulk write
(which holds them meanwhile).

A checkpoint rewrites the last row group of every table a run touched into fresh blocks
(256 KiB until store files used 64 KiB blocks). While raw FIT bytes lived in `raw_files`
(one row group holding every original file) that cost a one-file import 0.5 s CPU and
13.4 MB of new blocks on the 1,092-run bench store, so writers deferred it (issue 14)
and the WAL (2.1x the file) stayed beside the store, replayed by every later open. The
bytes now live in the raw folder (store/raw_folder.py): a checkpoint after a one-file
import and its analysis costs ~0.05 s CPU, so a writer folds its WAL at close and the
store is one file again (plus its raw folder) after every command. Since issue 14's
second round it folds after each commit too (`fold_after_commit`): the first night on the
fresh bench store went from 1.57 MB to 1.18 MB (2.2x the file).

Growth, `bench/nightly_import.py --nights 30` (36 new runs, 7.4 MB of files, one a
night into the 1,092-run store): main's deferral grew it 31.4 MB (4.3x; 2.1x the file
each night as WAL, 17.6 MB on the night the WAL passed 4 MB). Folding at close: 18.4 MB
(2.5x) on a store built compact by this version, whose first two nights take 6.0 and
4.9 MB (the rewritten last row groups and ART indexes need new blocks until the blocks
they free are there to reuse), ~0.45x the file a night from then on; 4.8 MB (0.65x) on
the bench store migrated to v9 (the dropped raw bytes left free blocks). Deferring with
raw bytes out (12 nights): 1.5x a night as WAL, 4.7 MB at each fold.

Why a checkpoint needs new blocks (issue 14; `bench/nightly_import.py`, `PRAGMA
database_size`, `pragma_storage_info`): one import touches 12 tables; each small one
(activities, sessions, import_log ...: one row group in one block) is written whole into
a fresh block, the tables that grow (samples, laps, zone_time) get new blocks for their
new rows, and every touched table's ART index (its primary key) is written anew too. The
blocks they replace are freed only once the checkpoint is done (a kill part-way must
find the old ones), so they serve the next night, not this one. With 256 KiB blocks
the first night on the compact bench store took 24 new blocks, 6.3 MB for a 0.53 MB file
(inserting one row into each of those tables and checkpointing does the same, without
terskel); without the indexes it was 3.7 MB. 64 KiB blocks (store/opening.py): 2.08 MB
the first night, 1.38x over 10 nights (2.74x before), ~0.5x a night from the 8th on.
Each touched table takes at least one block of its own and each touched index another
(DuckDB 2.0 packs no two tables or indexes into one block), and a table of fewer than
2,048 rows is rewritten whole (activity_sources: 3 blocks). Schema v10 and v11 dropped
the ART indexes of the nine indexed tables a nightly writes (store/schema.py; their
upserts are MERGEs, store/core.py): on a fresh bench store the first night went from
2.09 MB (4.0x the file) to 1.57 MB (3.0x), ten nights from 1.41x to 1.21x. What is left
is about one block per touched table (12), the new samples' (~5) and the gzip copy.

Where the first night's 1.18 MB goes (`bench/nightly_blocks.py`, fresh bench store, 1 free
block): the import's checkpoint writes 15 blocks (activities 2, activity_sources 3,
athlete_thresholds, import_log, raw_files and laps 1 each, samples 6) and frees 10, so
the file grows 14 blocks (0.92 MB); the structures', zones' and sessions' checkpoints
after it (3, 2 and 1 blocks) take freed ones and grow nothing; the raw folder's gzip copy
is 0.26 MB. Every row each commit writes is new (none of the tables is rewritten with
rows it held already), and a delete that matches nothing touches no table. Which blocks
a table needs (DuckDB 2.0, checked on plain tables): rows appended to a last row group of
fewer than 2,048 rows, or of fewer rows than the append brings, are merged into it and
the whole row group is rewritten (the bench store's small tables, and its samples' last
row group of 2,823 rows under the new run's 6,594); otherwise they make a row group of
their own, one new block and nothing rewritten (laps). So one transaction of seven
tables needs about fifteen blocks before any of the ones it frees can be reused, and on
a store without free blocks (just built or copied) the first night pays them; later
nights reuse them (4 nights: 1.18, 1.17, 0.30, 0.53 MB for files of 0.53, 0.84, 0.61,
0.56 MB, 1.26x in all). One checkpoint for the whole night instead of one per commit
grows it 1.57 MB; folding the analysis' commits at close instead of after each, the same
1.18 MB. The same rows of the import written in two commits, a checkpoint after each
(`--orders`): activities and activity_sources first, then the rest, 11 blocks instead of
15; every table but samples, laps and raw_files first, 9; samples and laps first, 14.
Both of the first two give up the import's all-or-nothing (an activity without its
samples after a kill between them), so the import stays one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

import duckdb

# WAL size that triggers a checkpoint at the next commit (a long sync's WAL stays bounded).
WAL_CHECKPOINT_BYTES = 4_000_000
WAL_CHECKPOINT = f"{WAL_CHECKPOINT_BYTES // 1_000_000}MB"  # DuckDB's MB: 10^6 bytes
# during a bulk write (an import of many files, a rebuild): never at a commit
BULK_THRESHOLD = "1TB"


def defer_checkpoints(con: duckdb.DuckDBPyConnection) -> None:
    """Checkpoint when the WAL passes WAL_CHECKPOINT and in `fold_at_close`, not in
    DuckDB's own shutdown (which would hide a failure) (writers only)."""
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.execute(f"SET checkpoint_threshold = '{WAL_CHECKPOINT}'")


def fold_at_close(con: duckdb.DuckDBPyConnection) -> None:
    """Checkpoint before a writer closes; a failure keeps the WAL (replayed at the next open)."""
    # nothing is lost when it fails: the WAL holds every commit and the next open replays it
    with suppress(duckdb.Error):
        con.execute("CHECKPOINT")


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Fold the WAL into the store file now (one file again, e.g. before a copy)."""
    con.execute("CHECKPOINT")


def fold_after_commit(con: duckdb.DuckDBPyConnection) -> None:
    """Checkpoint after a writer's commit (not in a bulk write); a failure keeps the WAL.

    A nightly import makes four commits touching disjoint tables (the import's seven, the
    structures', the zones', the sessions'). One checkpoint at close wrote them all into
    fresh blocks at once; one after each commit frees the blocks of its tables' old
    versions before the next writes, so the next reuses them. Same data, same commit
    order: each commit is durable in the WAL before its checkpoint."""
    with suppress(duckdb.Error):
        con.execute("CHECKPOINT")


@contextmanager
def held(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Hold checkpoints during a bulk write, then fold the WAL once.

    Each checkpoint rewrites the last row group of every table touched, so checkpointing
    at every 4 MB of a 37 MB import rewrote the growing tables nine times (measured with
    raw bytes still in raw_files: 2.8 s of CPU, a store of 69 MB instead of 40 MB).
    """
    con.execute(f"SET checkpoint_threshold = '{BULK_THRESHOLD}'")
    try:
        yield
    finally:
        con.execute(f"SET checkpoint_threshold = '{WAL_CHECKPOINT}'")
    checkpoint(con)
