"""Nightly import: one new run into the 1,092-run analysed store, as cron runs it.

Copies the shared bench store (bench/analysed_store.py), then times
`terskel --db COPY import NEW.fit` (decode, store, analyse the new run) in a fresh
process, and prints how much the store grew (file + WAL) against the file's size.
Baselines in the same run: `terskel --version` (start-up alone) and a fitparse
decode of the same file. Numbers are medians of `--repeat` runs, each on a new copy.

    uv run python bench/nightly_import.py [STORE] [--repeat 3]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from analysed_store import NEW_FILE, scratch_copy, store_and_repeat

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
    """Bytes of the store file and its WAL."""
    wal = db.with_name(db.name + ".wal")
    return db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def fitparse_decode(path: Path) -> float:
    """Seconds to decode one file with fitparse (all messages, values read)."""
    import fitparse

    start = time.perf_counter()
    for message in fitparse.FitFile(str(path)).get_messages():
        message.get_values()
    return time.perf_counter() - start


def main() -> int:
    found = store_and_repeat(__doc__)
    if found is None:
        return 0
    base, repeat = found
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
    growth = statistics.median(growths)
    file_mb = NEW_FILE.stat().st_size / 1e6
    print(f"store: {base} ({base.stat().st_size / 1e6:.0f} MB)")
    print(f"new file: {NEW_FILE.name} ({file_mb:.2f} MB); {' '.join(out.split())}")
    print(f"terskel --version            wall {s_wall:6.2f} s  cpu {s_cpu:6.2f} s")
    print(
        f"terskel import (1 new file)  wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
        f"= {wall / s_wall:.1f}x start-up; target < {TARGET_S} s"
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
