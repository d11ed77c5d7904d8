"""`terskel query NAME` on the 1,092-run store against start-up + the SQL alone.

For a few named queries: the CLI's wall/CPU time, and in the same run `terskel
--version` (start-up) plus the query's SQL run straight on DuckDB in this process.
Target: the CLI costs no more than start-up + the SQL (plus opening the store).
That sum leaves out what any tool pays to run SQL on the store from a fresh
process (importing duckdb, opening the file), so a second baseline, the floor, is
a bare `python -c` that imports duckdb, opens the store read-only, runs the same
SQL and writes its rows as CSV: the CLI's ratio to it is what terskel itself adds.

    uv run python bench/query_named.py [STORE] [--repeat 3]
"""

from __future__ import annotations

import time
from pathlib import Path

from analysed_store import TERSKEL, store_and_repeat, timed

QUERIES = ("weekly_volume", "longest_runs", "weekly_zone_distribution", "rep_drift")


def sql_alone(db: Path, name: str) -> float:
    """Seconds for the query's SQL on a fresh read-only DuckDB connection (fetch all)."""
    import duckdb

    from terskel.queries import bind, find_query

    named = find_query(name)
    assert named is not None, name
    values = bind(named.sql, {"athlete": "me", **named.params}, {})
    con = duckdb.connect(str(db), read_only=True)
    try:
        start = time.perf_counter()
        con.execute(named.sql, values).fetchall()
        return time.perf_counter() - start
    finally:
        con.close()


FLOOR = """
import csv, json, sys, duckdb
db, sql, values = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
con = duckdb.connect(db, read_only=True)
cur = con.execute(sql, values)
out = csv.writer(sys.stdout)
out.writerow([d[0] for d in cur.description])
out.writerows(cur.fetchall())
"""


def floor_command(db: Path, name: str) -> list[str]:
    """A bare Python process: import duckdb, open the store read-only, the SQL, CSV out."""
    import json
    import sys

    from terskel.queries import bind, find_query

    named = find_query(name)
    assert named is not None, name
    values = bind(named.sql, {"athlete": "me", **named.params}, {})
    return [sys.executable, "-c", FLOOR, str(db), named.sql, json.dumps(values, default=str)]


def main() -> int:
    found = store_and_repeat(__doc__)
    if found is None:
        return 0
    db, repeat = found
    base_wall, base_cpu, _ = timed([*TERSKEL, "--version"], repeat)
    print(f"terskel --version                  wall {base_wall:6.2f} s  cpu {base_cpu:6.2f} s")
    for name in QUERIES:
        command = [*TERSKEL, "--db", str(db), "query", name, "--format", "csv"]
        wall, cpu, _ = timed(command, repeat)
        sql = sql_alone(db, name)
        floor_wall, _, floor_out = timed(floor_command(db, name), repeat)
        print(
            f"query {name:<28} wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
            f"(start-up + SQL = {base_wall + sql:.2f} s; ratio {wall / (base_wall + sql):.1f}x; "
            f"floor {floor_wall:.2f} s, {floor_out.count(chr(10)) - 1} rows; "
            f"ratio {wall / floor_wall:.1f}x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
