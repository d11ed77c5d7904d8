"""`report week` on the 1,092-run analysed store: text (target < 0.5 s) and html (< 1.5 s).

Baseline in the same run: `terskel --version` (start-up alone). Also prints the
in-process split of the text report: reading the store vs building the report.

    uv run python bench/report_week.py [STORE] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from analysed_store import TERSKEL, analysed_store, available, timed


def split(db: Path) -> tuple[float, float]:
    """In-process seconds (CPU) to read the report's rows, then to build the report."""
    from terskel.config import Settings
    from terskel.reporting import LOOKBACK_WEEKS, pick_week, week_data
    from terskel.reports.weekly import build_week, span
    from terskel.store import Store

    with Store.open(db, read_only=True) as store:
        week = pick_week(store, None)
        start = time.process_time()
        data = week_data(store, *span(week, 12 + LOOKBACK_WEEKS))
        read = time.process_time() - start
    from terskel.reporting import template_of

    start = time.process_time()
    build_week(data, week, template_of(Settings()), None)
    return read, time.process_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("store", nargs="?", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not available():
        return 0
    db = analysed_store(args.store) if args.store else analysed_store()
    base_wall, base_cpu, _ = timed([*TERSKEL, "--version"], args.repeat)
    print(f"terskel --version               wall {base_wall:6.2f} s  cpu {base_cpu:6.2f} s")
    for fmt, target in (("text", 0.5), ("html", 1.5)):
        command = [*TERSKEL, "--db", str(db), "report", "week", "--format", fmt]
        wall, cpu, _ = timed(command, args.repeat)
        print(
            f"report week --format {fmt:<5}     wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
            f"= {wall / base_wall:.1f}x start-up (target < {target} s)"
        )
    read, build = split(db)
    print(f"  in process (text): reading the store {read:.2f} s cpu, building {build:.2f} s cpu")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
