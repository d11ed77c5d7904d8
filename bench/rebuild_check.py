"""`analyze --rebuild` by a baseline revision and by this tree: same stored results, and time.

Exports the baseline (default main) with `git archive`, copies the store once per
tree, migrated by that tree's code (untimed: a newer schema does not open in older
code), and runs `terskel --db COPY analyze --rebuild` with each tree's src/ first on
PYTHONPATH (this venv), the two alternating `--repeat` times (each on a fresh copy), so
both meet the same load. Then compares every table of the two rebuilt stores row for
row on the baseline's columns (a multiset difference both ways; floats exact, NaN and
NULL equal to themselves), leaving out only the columns the store stamps with the clock
(`DEFAULT current_timestamp`). Prints each table's rows and differing rows, and per
tree the best and median wall and CPU seconds against reading every sample (the
floor), with the load average.

    uv run python bench/rebuild_check.py STORE [--base main] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from analysed_store import copy_store
from test_time import export

ROOT = Path(__file__).resolve().parents[1]


def rebuild(tree: Path, db: Path) -> tuple[float, float]:
    """Wall and CPU seconds (the child's) of `analyze --rebuild` by `tree`'s code."""
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "terskel", "--db", str(db), "analyze", "--rebuild"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tree / "src")},
        check=False,
    )
    wall = time.perf_counter() - start
    after = os.times()
    if done.returncode not in (0, 1):
        raise SystemExit(f"{tree}: exit {done.returncode}\n{done.stderr[-800:]}")
    cpu = after.children_user - before.children_user
    cpu += after.children_system - before.children_system
    return wall, cpu


def migrated(tree: Path, store: Path, target: Path) -> Path:
    """A copy of the store opened once for writing by `tree`'s code: migrated to its
    schema, so neither timed run pays for the migration."""
    copy_store(store, target)
    code = "import sys;from pathlib import Path;from terskel.store import Store\n"
    code += "with Store.open(Path(sys.argv[1])) as s: s.checkpoint()"
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    subprocess.run([sys.executable, "-c", code, str(target)], env=env, check=True)
    return target


def read_floor(tree: Path, db: Path) -> float:
    """Seconds to read every sample into polars (what analysis cannot avoid)."""
    code = (
        "import sys,time;from pathlib import Path;from terskel.store import Store\n"
        "with Store.open(Path(sys.argv[1]), read_only=True) as s:\n"
        " t=time.perf_counter();s.samples().collect();print(time.perf_counter()-t)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(db)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tree / "src")},
        check=True,
    )
    return float(done.stdout.split()[-1])  # after any progress bar DuckDB draws


def differences(a: Path, b: Path) -> list[tuple[str, int, int]]:
    """Per table: its rows in `a` and the rows in one store and not the other (both ways)."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'a' ORDER BY 1"
        ).fetchall()
    ]
    out = []
    for table in tables:
        cols = [
            f'"{name}"'
            for name, default in con.execute(
                "SELECT column_name, column_default FROM duckdb_columns() "
                "WHERE database_name = 'a' AND table_name = ? ORDER BY column_index",
                [table],
            ).fetchall()
            if "current_timestamp" not in str(default).lower()  # stamped with the clock
        ]
        sel = ", ".join(cols)
        rows = con.execute(f"SELECT count(*) FROM a.{table}").fetchone()[0]  # type: ignore[index]
        diff = con.execute(
            f"SELECT count(*) FROM ((SELECT {sel} FROM a.{table} EXCEPT ALL "
            f"SELECT {sel} FROM b.{table}) UNION ALL (SELECT {sel} FROM b.{table} "
            f"EXCEPT ALL SELECT {sel} FROM a.{table}))"
        ).fetchone()[0]  # type: ignore[index]
        out.append((table, rows, diff))
    con.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("store", type=Path)
    parser.add_argument("--base", default="main")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.store.parent) as temp:
        folder = Path(temp)
        trees = {args.base: export(args.base, folder), "this tree": ROOT}
        # each tree's own schema (a newer one's store does not open in older code)
        sources = {
            name: migrated(tree, args.store, folder / f"source_{name.replace(' ', '_')}.duckdb")
            for name, tree in trees.items()
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        floor = []
        for _ in range(args.repeat):
            floor.append(read_floor(ROOT, sources["this tree"]))
            for name, tree in trees.items():
                db = copy_store(sources[name], folder / f"{name.replace(' ', '_')}.duckdb")
                times[name].append(rebuild(tree, db))
        load = os.getloadavg()
        dbs = [folder / f"{name.replace(' ', '_')}.duckdb" for name in trees]
        diffs = differences(dbs[0], dbs[1])
    print(f"stored results, {args.base} vs this tree (rows in {args.base}, differing rows):")
    for table, rows, diff in diffs:
        print(f"  {table:<20} {rows:>9,}  {diff:>6}")
    total = sum(d for _, _, d in diffs)
    print(f"differing rows in all tables: {total}")
    read = statistics.median(floor)
    print(f"reading every sample: median {read:.2f} s (best {min(floor):.2f}) of {len(floor)}")
    base_wall = statistics.median(w for w, _ in times[args.base])
    for name, runs in times.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        wall = statistics.median(walls)
        print(
            f"analyze --rebuild, {name:<10} wall best {min(walls):6.2f} median {wall:6.2f} s"
            f"  cpu best {min(cpus):6.2f} median {statistics.median(cpus):6.2f} s"
            f"  = {wall / read:4.1f}x the read, {wall / base_wall:4.2f}x {args.base}"
        )
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())
