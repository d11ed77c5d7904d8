"""Build a benchmark store of >= 1,000 real runs: real files imported, then replicated.

Every run in ../shared/data (fit/running and history) is imported once; the
store's activities, samples and laps are then copied with their dates shifted
by whole weeks until there are at least `--runs` runs. Samples stay real.

    uv run python bench/build_store.py /tmp/bench.duckdb --runs 1000
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SOURCES = [SHARED / "fit" / "running", SHARED / "history"]
ID_STRIDE = 1_000_000  # copy k gets activity ids + k * ID_STRIDE


def build(db: Path, runs: int) -> int:
    """Create the store at `db` (replacing it) and return how many runs it holds."""
    from terskel.jobs.ingest import import_paths
    from terskel.store import Store

    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(db.with_name(db.name + ".raw"), ignore_errors=True)  # its raw bytes
    with Store.open(db) as store:
        import_paths(store, SOURCES)
        base = int(store.scalar("SELECT count(*) FROM activities WHERE sport = 'running'"))
        copies = math.ceil(runs / base) - 1
        with store.transaction():
            for k in range(1, copies + 1):
                _replicate(store.con, k)
        store.checkpoint()  # one file: benches copy it
        return int(store.scalar("SELECT count(*) FROM activities WHERE sport = 'running'"))


def _replicate(con: object, k: int) -> None:
    """Copy every original activity with ids offset and dates moved k*53 weeks back."""
    shift = f"INTERVAL {k * 53 * 7} DAY"
    offset = k * ID_STRIDE
    sql = [
        f"INSERT INTO activities SELECT * REPLACE (activity_id + {offset} AS activity_id, "
        f"start_utc - {shift} AS start_utc, start_local - {shift} AS start_local) "
        f"FROM activities WHERE activity_id < {ID_STRIDE}",
        # BY NAME, without the virtual lat / lon (schema v12): they take no value
        f"INSERT INTO samples BY NAME SELECT * EXCLUDE (lat, lon) REPLACE (activity_id + "
        f"{offset} AS activity_id, t - {shift} AS t) FROM samples WHERE activity_id < {ID_STRIDE}",
        f"INSERT INTO laps SELECT * REPLACE (activity_id + {offset} AS activity_id, "
        f"start_utc - {shift} AS start_utc, end_utc - {shift} AS end_utc) "
        f"FROM laps WHERE activity_id < {ID_STRIDE}",
    ]
    for statement in sql:
        con.execute(statement)  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db", type=Path)
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    if not all(p.is_dir() for p in SOURCES):
        print(f"skipped: {SHARED} is not here")
        return 0
    print(f"{build(args.db, args.runs)} runs in {args.db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
