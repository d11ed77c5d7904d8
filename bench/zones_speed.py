"""Zones + session typing speed over a store of >= 1,000 real runs.

Builds the store with bench/build_store.py (real runs replicated with shifted
dates), runs the whole analysis once (structure must exist first), then times
what issue 6 adds, in process and chunked as `terskel analyze` runs it:

- zones: best efforts, markers in force per date, time in zone per activity
  and per segment (read samples + compute + save);
- typing: session types of every local date (outings, reps vs the band).

Baseline in the same run: reading the same samples out of the store (the floor
any per-sample analysis pays). Target: zones + typing under 5 s.

    uv run python bench/zones_speed.py [--runs 1000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_store import SOURCES, build

from terskel.jobs.analyze import (
    ANALYZED_SPORTS,
    CHUNK,
    AthleteProfile,
    analyze,
    context,
    type_days,
    zones,
)
from terskel.store import Store


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    if not all(p.is_dir() for p in SOURCES):
        print("skipped: ../shared/data is not here")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        runs = build(db, args.runs)
        with Store.open(db) as store:
            start = time.perf_counter()
            analyze(store, rebuild=True)
            full_s = time.perf_counter() - start
            ids = store.activities_to_analyze(None, True, ANALYZED_SPORTS)
            ctx = context(store, AthleteProfile())

            start = time.perf_counter()
            samples = sum(store.samples(c).collect().height for c in _chunks(ids))
            read_s = time.perf_counter() - start

            start = time.perf_counter()
            for chunk in _chunks(ids):
                zones(store, ctx, chunk, store.samples(chunk).collect(), store.intervals(chunk))
            zones_s = time.perf_counter() - start

            dates = store.dates_to_type(None, rebuild=True)
            start = time.perf_counter()
            typed = type_days(store, ctx, dates)
            typing_s = time.perf_counter() - start
            rows = int(store.scalar("SELECT count(*) FROM zone_time"))
    mine = zones_s + typing_s
    print(f"{runs} runs, {samples:,} samples, {typed} activities typed, {rows:,} zone_time rows")
    print(f"zones (read+compute+save): {zones_s:6.2f} s  ({len(ids) / zones_s:,.0f} runs/s)")
    print(f"session typing:            {typing_s:6.2f} s  ({typed / typing_s:,.0f} activities/s)")
    print(
        f"zones + typing:            {mine:6.2f} s  ({len(ids) / mine:,.0f} runs/s)  target < 5 s"
    )
    print(f"baseline, read samples:    {read_s:6.2f} s  (zones/read {zones_s / read_s:.1f}x)")
    print(f"whole analyze --rebuild:   {full_s:6.2f} s  (structure + zones + typing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
