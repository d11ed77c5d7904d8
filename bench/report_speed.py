"""Time `terskel report week` as text and HTML against two baselines, in one run.

Baselines: `python -c pass` (interpreter start) and reading the report's frames
from the store in-process (what any report must read). Build a store first:

    uv run python bench/build_store.py /tmp/bench.duckdb --runs 1000
    uv run terskel --db /tmp/bench.duckdb analyze
    uv run python bench/report_speed.py /tmp/bench.duckdb [--week 2026-W07] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path


def best_of(repeat: int, command: list[str]) -> float:
    """The fastest of `repeat` runs of a command, in seconds (the least disturbed by load)."""
    return timed(repeat, command)[0]


def timed(repeat: int, command: list[str]) -> tuple[float, float]:
    """The fastest wall time and the least CPU time (user + sys) of `repeat` runs, in s."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = os.times()
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        after = os.times()
        cpus.append(
            after.children_user - before.children_user + after.children_system
            - before.children_system
        )  # fmt: skip
    return min(walls), min(cpus)


def read_frames(db: Path, week: str | None, repeat: int) -> tuple[float, str]:
    """Seconds to open the store and read the frames the week's report reads."""
    from terskel.jobs.reporting import LOOKBACK_WEEKS, WARMUP_WEEKS, pick_week, week_data
    from terskel.reports.weekly import TREND_WEEKS, span
    from terskel.store import Store

    times, chosen = [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        with Store.open(db, read_only=True) as store:
            chosen = pick_week(store, week)
            week_data(store, *span(chosen, TREND_WEEKS + LOOKBACK_WEEKS + WARMUP_WEEKS))
        times.append(time.perf_counter() - start)
    return min(times), chosen


def in_process(db: Path, week: str, repeat: int) -> tuple[float, float]:
    """Seconds to build the week (frames read) and to render it as HTML, start-up excluded."""
    from terskel.config import Settings
    from terskel.jobs.reporting import week_traces, weekly_report
    from terskel.reports.weekly_html import week_html
    from terskel.reports.weekly_render import week_renderable
    from terskel.store import Store

    build, html = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        with Store.open(db, read_only=True) as store:
            report, trend = weekly_report(store, Settings(), week)
            week_renderable(report)
            built = time.perf_counter()
            week_html(report, trend, week_traces(store, report))
        build.append(built - start)
        html.append(time.perf_counter() - built)
    return min(build), min(html)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db", type=Path)
    parser.add_argument("--week")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frames, week = read_frames(args.db, args.week, args.repeat)
    cli = [sys.executable, "-m", "terskel", "--db", str(args.db), "report", "week", "--week", week]
    baseline = best_of(args.repeat, [sys.executable, "-c", "pass"])
    build, html = in_process(args.db, week, args.repeat)
    rows: list[tuple[str, float, float | None]] = [
        ("python -c pass", baseline, None),
        ("read the report frames (in-process)", frames, None),
        ("build the week report (in-process)", build, None),
        ("+ samples and HTML (in-process)", html, None),
    ]
    for fmt in ("text", "html"):
        rows.append((f"report week --format {fmt}", *timed(args.repeat, [*cli, "--format", fmt])))
    print(f"week {week}, store {args.db} (best of {args.repeat}; load {os.getloadavg()[0]:.1f})")
    for name, seconds, cpu in rows:
        used = "" if cpu is None else f"  cpu {cpu:5.2f} s"
        print(f"{name:40s} {seconds:6.2f} s  {seconds / baseline:6.1f}x python  "
              f"{seconds / frames:5.1f}x frames{used}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
