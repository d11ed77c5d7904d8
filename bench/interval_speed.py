"""Interval detection speed: `terskel analyze --rebuild` over a store of >= 1,000 runs.

Builds the store with bench/build_store.py (real runs, replicated with shifted
dates), then times the real CLI command in a subprocess and reads its peak memory.
Baseline in the same run: reading the same samples out of the store into polars
(the floor any analysis pays), so the ratio shows what detection itself costs.

    uv run python bench/interval_speed.py
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_store import SOURCES, build


def timed(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return time.perf_counter() - start, done.stdout.strip()


def main() -> int:
    if not all(p.is_dir() for p in SOURCES):
        print("skipped: ../shared/data is not here")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        runs = build(db, 1000)
        cli = [sys.executable, "-m", "terskel", "--db", str(db)]
        read_s, _ = timed(
            [sys.executable, "-c",
             "import sys; from pathlib import Path; from terskel.store import Store; "
             "s = Store.open(Path(sys.argv[1]), read_only=True); "
             "print(s.samples().collect().height)", str(db)]
        )  # fmt: skip
        analyze_s, line = timed([*cli, "analyze", "--rebuild"])
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    samples = int(line.split("(")[1].split()[0])
    print(f"{runs} runs, {samples:,} samples")
    print(f"terskel analyze --rebuild: {analyze_s:6.1f} s  ({samples / analyze_s:,.0f} samples/s)")
    print(f"baseline, read samples:    {read_s:6.1f} s")
    print(f"ratio analyze/read: {analyze_s / read_s:.1f}x   peak RSS {peak_mb:.0f} MB")
    print("target: analyze under 10 s, memory under 2 GB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
