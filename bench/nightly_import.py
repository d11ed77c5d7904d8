"""Nightly import: one new run into the 1,092-run analysed store, as cron runs it.

Copies the shared bench store (bench/analysed_store.py), then times
`terskel --db COPY import NEW.fit` (decode, store, analyse the new run) in a fresh
process, and prints how much the store grew (file + WAL + raw folder) against the
file's size. Baselines in the same run: `terskel --version` (start-up alone) and a
fitparse decode of the same file. Numbers are medians of `--repeat` runs, each on a
new copy; best (min) in brackets.

`--nights N`: N nights in a row on one copy, a different new file each night (the
runs of ../shared/data/fit/running-more, which the bench store does not hold), with
each night's wall, CPU and growth against its file (a checkpoint's rewrites show
over several nights, not one).

    uv run python bench/nightly_import.py [STORE] [--repeat 3] [--nights 5]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from analysed_store import NEW_FILE, scratch_copy, store_and_repeat, store_bytes

TARGET_S = 1.0


def run(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, child CPU seconds and stdout of one command."""
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = after.children_user - before.children_user
    cpu += after.children_system - before.children_system
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command}: exit {done.returncode}\n{done.stderr[-500:]}")
    return wall, cpu, done.stdout


def size_of(db: Path) -> int:
    """Bytes of the store: its file, WAL and raw folder."""
    return store_bytes(db)


def nights(base: Path, count: int) -> None:
    """`count` one-file imports in a row into one copy; a line per night."""
    terskel = [sys.executable, "-m", "terskel"]
    pool = sorted(p for p in NEW_FILE.parent.glob("*.fit") if p != NEW_FILE)
    files = [NEW_FILE, *sorted(pool, key=lambda p: -p.stat().st_size)][:count]
    db = scratch_copy(base, "nightly-nights.duckdb")
    total_growth = total_bytes = 0
    print(f"{'night':>5} {'file MB':>8} {'wall s':>7} {'cpu s':>6} {'growth MB':>10} {'ratio':>6}")
    for k, path in enumerate(files, start=1):
        before = size_of(db)
        wall, cpu, _ = run([*terskel, "--db", str(db), "import", str(path)])
        growth = size_of(db) - before
        total_growth += growth
        total_bytes += path.stat().st_size
        print(f"{k:5d} {path.stat().st_size / 1e6:8.2f} {wall:7.2f} {cpu:6.2f} "
              f"{growth / 1e6:10.2f} {growth / path.stat().st_size:6.2f}")  # fmt: skip
    print(f"{len(files)} nights: grew {total_growth / 1e6:.2f} MB for {total_bytes / 1e6:.2f} MB "
          f"of files = {total_growth / total_bytes:.2f}x")  # fmt: skip


def fitparse_decode(path: Path) -> float:
    """Seconds to decode one file with fitparse (all messages, values read)."""
    import fitparse

    start = time.perf_counter()
    for message in fitparse.FitFile(str(path)).get_messages():
        message.get_values()
    return time.perf_counter() - start


def main() -> int:
    count = 0
    if "--nights" in sys.argv:
        at = sys.argv.index("--nights")
        count = int(sys.argv[at + 1])
        del sys.argv[at : at + 2]
    found = store_and_repeat(__doc__)
    if found is None:
        return 0
    base, repeat = found
    if count:
        nights(base, count)
        return 0
    terskel = [sys.executable, "-m", "terskel"]
    startup = [run([*terskel, "--version"]) for _ in range(repeat)]
    walls, cpus, growths = [], [], []
    for k in range(repeat):
        db = scratch_copy(base, f"nightly-{k}.duckdb")
        before = size_of(db)
        wall, cpu, out = run([*terskel, "--db", str(db), "import", str(NEW_FILE)])
        walls.append(wall)
        cpus.append(cpu)
        growths.append(size_of(db) - before)
        db.unlink()
    s_wall = statistics.median(w for w, _, _ in startup)
    s_cpu = statistics.median(c for _, c, _ in startup)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    best = f"(best {min(walls):.2f} s / {min(cpus):.2f} s)"
    growth = statistics.median(growths)
    file_mb = NEW_FILE.stat().st_size / 1e6
    print(f"store: {base} ({base.stat().st_size / 1e6:.0f} MB)")
    print(f"new file: {NEW_FILE.name} ({file_mb:.2f} MB); {' '.join(out.split())}")
    print(f"terskel --version            wall {s_wall:6.2f} s  cpu {s_cpu:6.2f} s")
    print(
        f"terskel import (1 new file)  wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
        f"{best} = {wall / s_wall:.1f}x start-up; target < {TARGET_S} s"
    )
    decode = fitparse_decode(NEW_FILE)
    print(f"fitparse decode of the file  wall {decode:6.2f} s  (import = {wall / decode:.1f}x it)")
    print(
        f"store growth {growth / 1e6:.2f} MB = {growth / NEW_FILE.stat().st_size:.1f}x the "
        "file (target ~ 1x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
