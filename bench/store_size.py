"""Store size against the FIT bytes it holds, and what takes the space.

Reads the bench store (or any store): its size on disk (file, WAL and the raw folder
`<store>.raw/` that holds the original files gzip-compressed, store/raw_folder.py), the
FIT bytes it keeps, and DuckDB's used/free blocks and per-table blocks, so the ratio
can be explained. Baseline: the FIT bytes themselves (sum of raw_files.size_bytes).

    uv run python bench/store_size.py [STORE]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analysed_store import analysed_store, available, raw_folder, store_bytes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("store", nargs="?", type=Path, default=None)
    args = parser.parse_args()
    if args.store is None and not available():
        return 0
    db = args.store or analysed_store()
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        fit = int(con.execute("SELECT sum(size_bytes) FROM raw_files").fetchall()[0][0] or 0)
        size = store_bytes(db)
        folder = size - db.stat().st_size - _wal_bytes(db)
        _, _, block, total, used, free, *_ = con.execute("PRAGMA database_size").fetchall()[0]
        print(f"store {size / 1e6:.1f} MB (file {db.stat().st_size / 1e6:.1f} MB, WAL "
              f"{_wal_bytes(db) / 1e6:.1f} MB, {raw_folder(db).name}/ {folder / 1e6:.1f} MB); "
              f"FIT bytes kept {fit / 1e6:.1f} MB")  # fmt: skip
        print(f"ratio {size / fit:.2f}x the FIT bytes")
        print(f"blocks of {block // 1024} KiB: {total} total, {used} used, {free} free "
              f"({free * block / 1e6:.1f} MB free space left by rewrites)")  # fmt: skip
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        rows = []
        for table in tables:
            blocks = con.execute(
                f"SELECT count(DISTINCT block_id) FROM pragma_storage_info('{table}') "
                "WHERE block_id IS NOT NULL"
            ).fetchall()[0][0]
            rows.append((int(blocks), table))
        accounted = sum(b for b, _ in rows)
        for blocks, table in sorted(rows, reverse=True)[:6]:
            print(f"  {table:<18} {blocks:4d} blocks  {blocks * block / 1e6:6.1f} MB")
        print(f"  other (BLOB overflow: raw_files' bytes before schema v9; indexes, metadata) "
              f"{(used - accounted) * block / 1e6:.1f} MB")  # fmt: skip
    finally:
        con.close()
    return 0


def _wal_bytes(db: Path) -> int:
    wal = db.with_name(db.name + ".wal")
    return wal.stat().st_size if wal.exists() else 0


if __name__ == "__main__":
    raise SystemExit(main())
