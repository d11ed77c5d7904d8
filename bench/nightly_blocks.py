"""Where a nightly import's store growth goes: DuckDB blocks per checkpoint and table.

Runs `terskel import NEW.fit` (bench/analysed_store.py's nightly file) in this process on
a copy of the analysed store, with each checkpoint the writer makes wrapped: for each it
prints the commits it folds (the store method that committed), the store's total, used
and free blocks before and after (`PRAGMA database_size`), and per table the blocks it
now holds that it did not before (written) and the ones it let go (freed), from
`pragma_storage_info`. A checkpoint's freed blocks serve only the next checkpoint (a
kill part-way must find the old ones), so a checkpoint grows the file by what it
writes beyond the free blocks it starts with. Last, the growth of the file and of the
raw folder against the file's size.

`--orders`: the same new rows of the import's seven tables written into another copy
in other groupings of commits (one checkpoint after each), with the blocks each grew
the file by: what splitting the import's one transaction would save (it would give up
its all-or-nothing, see store/checkpoints.py).

    uv run python bench/nightly_blocks.py [STORE] [--orders]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
from analysed_store import NEW_FILE, raw_folder, scratch_copy, store_and_repeat, store_bytes

Blocks = dict[str, set[int]]
IMPORT_TABLES = (
    "activities", "activity_sources", "athlete_thresholds", "import_log", "raw_files", "laps",
    "samples",
)  # fmt: skip
ORDERS = {
    "one transaction (terskel)": [list(IMPORT_TABLES)],
    "streams, then the rest": [list(IMPORT_TABLES[5:]), list(IMPORT_TABLES[:5])],
    "the rest, then streams": [list(IMPORT_TABLES[:5]), list(IMPORT_TABLES[5:])],
    "one table a checkpoint": [[t] for t in IMPORT_TABLES],
}


def table_blocks(con: duckdb.DuckDBPyConnection) -> Blocks:
    """Block ids each table's column segments live in."""
    names = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall()
    out = {}
    for (name,) in names:
        rows = con.execute(
            f"SELECT DISTINCT block_id FROM pragma_storage_info('{name}') WHERE block_id >= 0"
        ).fetchall()
        out[str(name)] = {int(r[0]) for r in rows}
    return out


def sizes(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    """Total, used and free blocks of the connection's database."""
    row = con.execute(
        "SELECT total_blocks, used_blocks, free_blocks FROM pragma_database_size() "
        "WHERE database_name = current_database()"
    ).fetchall()[0]
    return int(row[0]), int(row[1]), int(row[2])


class Recorder:
    """Wraps the writer's checkpoints and transactions; prints a block account of each."""

    def __init__(self) -> None:
        self.blocks: Blocks | None = None
        self.commits: list[str] = []

    def checkpoint(self, fold: Callable[[duckdb.DuckDBPyConnection], None], label: str) -> Any:
        def wrapped(con: duckdb.DuckDBPyConnection) -> None:
            before = self.blocks if self.blocks is not None else table_blocks(con)
            (total0, used0, free0), start = sizes(con), time.perf_counter()
            fold(con)
            took = time.perf_counter() - start
            self.blocks = after = table_blocks(con)
            total1, used1, free1 = sizes(con)
            commits = ", ".join(self.commits) or "-"
            self.commits = []
            print(
                f"{label} checkpoint ({commits}) {took:.3f} s: total {total0} -> {total1} "
                f"(+{total1 - total0}), used {used0} -> {used1}, free {free0} -> {free1}"
            )
            for name in sorted(set(before) | set(after)):
                new = after.get(name, set()) - before.get(name, set())
                gone = before.get(name, set()) - after.get(name, set())
                if new or gone:
                    print(f"    {name:20s} written {len(new):3d}  freed {len(gone):3d}")

        return wrapped

    def transaction(self, original: Callable[[Any], AbstractContextManager[None]]) -> Any:
        recorder = self

        @contextmanager
        def wrapped(store: Any) -> Any:
            if recorder.blocks is None:
                recorder.blocks = table_blocks(store.con)
            # the store method that commits (its checkpoint runs as the block ends)
            recorder.commits.append(sys._getframe(2).f_code.co_name)
            with original(store):
                yield

        return wrapped


def nightly(base: Path) -> Path:
    """Import the nightly file into a copy, printing each checkpoint's account; the copy."""
    import terskel.store.checkpoints as checkpoints
    import terskel.store.core as core
    from terskel.cli import main

    db = scratch_copy(base, "nightly-blocks.duckdb")
    before, raw_before = store_bytes(db), _folder_bytes(raw_folder(db))
    recorder = Recorder()
    core.fold_after_commit = recorder.checkpoint(checkpoints.fold_after_commit, "commit")
    bulk = recorder.checkpoint(checkpoints.checkpoint, "bulk")
    core.checkpoint = checkpoints.checkpoint = bulk  # held() calls its module's name
    core.fold_at_close = recorder.checkpoint(checkpoints.fold_at_close, "close")
    core.StoreCore.transaction = recorder.transaction(core.StoreCore.transaction)  # type: ignore[method-assign]
    sys.argv = ["terskel", "--db", str(db), "import", str(NEW_FILE)]
    with suppress(SystemExit):  # the command's exit code
        main()
    grew, raw = store_bytes(db) - before, _folder_bytes(raw_folder(db)) - raw_before
    size = NEW_FILE.stat().st_size
    print(
        f"growth {grew / 1e6:.2f} MB = {grew / size:.2f}x the {size / 1e6:.2f} MB file: "
        f"store file + WAL {(grew - raw) / 1e6:.2f} MB, raw folder {raw / 1e6:.2f} MB"
    )
    return db


def orders(base: Path, imported: Path) -> None:
    """Blocks the import's new rows grow a fresh copy by, per grouping of commits."""
    for label, groups in ORDERS.items():
        db = scratch_copy(base, "nightly-orders.duckdb")
        con = duckdb.connect(str(db))
        con.execute(f"ATTACH '{imported}' AS done (READ_ONLY)")
        total0 = sizes(con)[0]
        for group in groups:
            con.execute("BEGIN")
            for table in group:
                new_rows = f"SELECT * FROM done.{table} EXCEPT ALL SELECT * FROM {table}"
                con.execute(f"INSERT INTO {table} {new_rows}")
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        total1, _, free = sizes(con)
        con.close()
        print(f"{label:28s} +{total1 - total0:3d} blocks, {free} free after")
        db.unlink()


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def main() -> int:
    show_orders = "--orders" in sys.argv
    if show_orders:
        sys.argv.remove("--orders")
    found = store_and_repeat(__doc__)
    if found is None:
        return 0
    base = found[0]
    imported = nightly(base)
    if show_orders:
        orders(base, imported)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
