"""`import` by a baseline revision and by this tree: the same stored rows and raw payloads.

Imports every FIT file of bench/import_throughput.py's folders into a fresh store with
each tree's code (src/ first on PYTHONPATH, this venv), then compares every table row
for row as bench/rebuild_check.py does (clock-stamped columns left out), and the
decompressed bytes of every file in the two raw folders. Activity ids follow the order
in which the workers finish, so stores match row for row only with `--workers 1`
(the default here); with more, compare a tree with itself to see that noise.

    uv run python bench/import_check.py [--base main] [--no-analyze] [--workers 1]
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from import_throughput import FOLDERS
from rebuild_check import differences
from test_time import export


def import_into(tree: Path | None, db: Path, analyze: bool, workers: int) -> None:
    """`terskel import` of the benchmark folders into `db` by `tree`'s code (None: this one)."""
    env = None
    if tree is not None:
        env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    command = [sys.executable, "-m", "terskel", "--db", str(db), "import"]
    command += [f"--workers={workers}"] + ([] if analyze else ["--no-analyze"])
    command += [str(f) for f in FOLDERS]
    subprocess.run(command, env=env, capture_output=True, check=False)


def payloads(db: Path) -> dict[str, bytes]:
    """Relative path -> original bytes of every payload in a store's raw folder."""
    root = db.with_name(db.name + ".raw")
    return {
        p.relative_to(root).as_posix(): gzip.decompress(p.read_bytes()) for p in root.rglob("*.gz")
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="main")
    parser.add_argument("--no-analyze", action="store_true")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        base_db, this_db = Path(temp) / "base.duckdb", Path(temp) / "this.duckdb"
        import_into(export(args.base, Path(temp)), base_db, not args.no_analyze, args.workers)
        import_into(None, this_db, not args.no_analyze, args.workers)
        diffs = differences(base_db, this_db)
        for table, rows, differing in diffs:
            print(f"{table:24s} {rows:9d} rows  {differing} differ")
        a, b = payloads(base_db), payloads(this_db)
        same = a == b
        print(f"raw payloads: {len(a)} [{args.base}], {len(b)} [this tree], identical: {same}")
    return 0 if same and not any(d for _, _, d in diffs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
