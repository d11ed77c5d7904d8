"""`analyze --rebuild` of the 1,092-run store (target < 10 s), and where the time goes.

Runs the CLI on a copy of the bench store, then in process once more with timers
around the store's reads and writes and around each analysis step. Baseline in the
same run: reading every run's samples from the store into polars (what analysis
cannot avoid).

    uv run python bench/analyze_rebuild.py [STORE]
"""

from __future__ import annotations

import argparse
import functools
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analysed_store import TERSKEL, analysed_store, available, scratch_copy, timed

SPENT: dict[str, float] = defaultdict(float)
READS = ("samples", "laps", "peaks", "intervals", "zone_time", "structures", "sessions",
         "lactate_readings", "activities_on", "local_dates", "thresholds",
         "activities_to_analyze", "dates_to_type")  # fmt: skip
WRITES = ("save_structures", "save_zone_analysis", "save_sessions")
STEPS = (
    "structure",
    "start_structure",
    "finish_structure",
    "activity_peaks",
    "zone_time",
    "markers_frame",
    "type_sessions",
)


def _timer(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        if hasattr(result, "collect") and label.startswith("read"):
            result = result.collect().lazy()  # a LazyFrame read: count the read itself
        SPENT[label] += time.perf_counter() - start
        return result

    return wrapped


def profiled(db: Path) -> float:
    """Seconds of an in-process `analyze(rebuild=True)`, filling SPENT per part."""
    import terskel.jobs.analyze as analyze_module
    from terskel.store import Store

    for name in READS:
        setattr(Store, name, _timer(f"read  {name}", getattr(Store, name)))
    for name in WRITES:
        setattr(Store, name, _timer(f"write {name}", getattr(Store, name)))
    for name in STEPS:
        setattr(analyze_module, name, _timer(f"step  {name}", getattr(analyze_module, name)))
    with Store.open(db) as store:
        start = time.perf_counter()
        analyze_module.analyze(store, rebuild=True)
        return time.perf_counter() - start


def read_samples(db: Path) -> tuple[float, int]:
    """Seconds to read every sample of the store into one polars frame, and its rows."""
    from terskel.store import Store

    with Store.open(db, read_only=True) as store:
        start = time.perf_counter()
        rows = store.samples().collect().height
        return time.perf_counter() - start, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("store", nargs="?", type=Path, default=None)
    args = parser.parse_args()
    if not available():
        return 0
    base = analysed_store(args.store) if args.store else analysed_store()
    read_s, rows = read_samples(base)
    print(f"baseline: reading all {rows:,} samples   wall {read_s:6.2f} s")
    db = scratch_copy(base, "rebuild.duckdb")
    wall, cpu, out = timed([*TERSKEL, "--db", str(db), "analyze", "--rebuild"], 1)
    print(f"terskel analyze --rebuild            wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
          f"= {wall / read_s:.1f}x the read (target < 10 s)")  # fmt: skip
    print(f"  {' '.join(out.split())}")
    total = profiled(db)
    print(f"in process: {total:.2f} s; parts (wall, the steps' store reads counted once):")
    for label, seconds in sorted(SPENT.items(), key=lambda kv: -kv[1]):
        if seconds >= 0.05:
            print(f"  {label:<28} {seconds:6.2f} s  {100 * seconds / total:4.0f} %")
    db.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
