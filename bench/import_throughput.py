"""Import throughput: terskel's end-to-end import against a plain fitparse decode loop.

Imports every FIT file under ../shared/data/fit and ../shared/data/history into a
fresh store through the real CLI in a subprocess, twice: `import` (decode + store +
analysis) and `import --no-analyze` (decode + store). In the same run it decodes the
same files with the loop a Python user would write with fitparse. Prints the times,
the ratios, and each import's peak memory summed over the CLI and its worker processes
(sampled from /proc, since workers peak at the same time). Wall and CPU time both: on a
shared machine the CPU ratio (the CLI and its workers against the loop) is the steadier one.

`--base REV` also imports with a baseline revision's code (exported with `git archive`,
its src/ first on PYTHONPATH, this venv), alternating with this tree's, `--repeat N`
times each (each into a fresh store): every import meets the same load and is held
against the same fitparse loop, which runs once, in the same run. Then the medians
(and the best) per tree, and each tree's ratio from its median.

    uv run python bench/import_throughput.py [--base main] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from test_time import export

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FOLDERS = [SHARED / "fit", SHARED / "history"]
SAMPLE_EVERY_S = 0.05
TARGET_RATIO = 20


def fit_files() -> list[Path]:
    """Every FIT file the benchmark reads."""
    return sorted(p for folder in FOLDERS for p in folder.rglob("*") if p.suffix.lower() == ".fit")


def fitparse_loop(files: list[Path]) -> tuple[float, float, int]:
    """Wall and CPU seconds to decode every file with fitparse, and how many it could not read."""
    import fitparse

    failures = 0
    start, cpu = time.perf_counter(), time.process_time()
    for path in files:
        try:
            for message in fitparse.FitFile(str(path)).get_messages():
                message.get_values()
        except Exception:  # the baseline as a user would write it: skip what fails
            failures += 1
    return time.perf_counter() - start, time.process_time() - cpu, failures


def _children_cpu() -> float:
    """CPU seconds of the finished child processes (and the workers they waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, in kB (0 once gone)."""
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        proc = Path(f"/proc/{current}")
        try:
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in (proc / "task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


class PeakTreeRss:
    """Samples the summed RSS of a process tree in a thread; `peak_mb` after `stop`."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            self.peak_kb = max(self.peak_kb, _tree_rss_kb(self.pid))
            self._done.wait(SAMPLE_EVERY_S)

    def stop(self) -> float:
        """Stop sampling; the peak in MB."""
        self._done.set()
        self._thread.join()
        return self.peak_kb / 1024


def terskel_import(analyze: bool, tree: Path | None = None) -> tuple[float, float, float, str]:
    """Wall and CPU seconds of `terskel import` of all folders into a new store (CLI and
    workers), peak tree RSS (MB), summary; by `tree`'s code when given."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")} if tree else None
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        command = [sys.executable, "-m", "terskel", "--db", str(db), "import"]
        command += ([] if analyze else ["--no-analyze"]) + [str(f) for f in FOLDERS]
        start, cpu = time.perf_counter(), _children_cpu()
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        sampler = PeakTreeRss(process.pid)
        stdout, stderr = process.communicate()
        seconds = time.perf_counter() - start
        process.wait()
        cpu = _children_cpu() - cpu
        peak_mb = sampler.stop()
    lines = [line for line in stdout.splitlines() if line.startswith(("imported", "analysed"))]
    summary = " / ".join(" ".join(line.split()) for line in lines) or stderr[-300:]
    return seconds, cpu, peak_mb, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", help="a revision whose import is timed beside this tree's")
    parser.add_argument("--repeat", type=int, default=1, help="imports per tree and mode")
    args = parser.parse_args()
    if not all(folder.is_dir() for folder in FOLDERS):
        print(f"skipped: {SHARED} is not here")
        return 0
    files = fit_files()
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    print(f"{len(files)} FIT files, {size_mb:.1f} MB")
    with tempfile.TemporaryDirectory() as temp:
        trees: dict[str, Path | None] = {"this tree": None}
        if args.base:
            trees = {args.base: export(args.base, Path(temp)), **trees}
        runs = _imports(trees, args.repeat)
    baseline, baseline_cpu, failures = fitparse_loop(files)
    print(
        f"fitparse decode loop:                         wall {baseline:6.1f} s  "
        f"cpu {baseline_cpu:6.1f} s  ({failures} files it cannot read)"
    )
    for name in trees:
        full, bare = runs[(name, True)], runs[(name, False)]
        tag = f" [{name}]" if args.base else ""
        print(
            f"ratio, wall{tag}: import with analysis {baseline / _median(full, 0):.1f}x faster "
            f"than fitparse, without analysis {baseline / _median(bare, 0):.1f}x "
            f"(target >= {TARGET_RATIO}x)"
        )
        print(
            f"ratio, cpu{tag}:  import with analysis {baseline_cpu / _median(full, 1):.1f}x, "
            f"without analysis {baseline_cpu / _median(bare, 1):.1f}x; "
            "peak RSS summed over the CLI and its workers"
        )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


Run = tuple[float, float, float, str]


def _imports(trees: dict[str, Path | None], repeat: int) -> dict[tuple[str, bool], list[Run]]:
    """Every tree's import with and without analysis, alternating (ABBA), `repeat` times; each
    printed as it ends, then (when repeated) each one's median and best."""
    runs: dict[tuple[str, bool], list[Run]] = {(n, a): [] for n in trees for a in (True, False)}
    order = list(trees.items())
    for _ in range(repeat):
        for analyze in (True, False):
            for name, tree in order:
                run = terskel_import(analyze, tree)
                runs[(name, analyze)].append(run)
                _print_import(name if len(trees) > 1 else None, analyze, *run[:3])
                print(f"  {run[3]}")
        order.reverse()  # ABBA: neither tree always runs first (after the other's caches)
    if repeat > 1:
        for (name, analyze), done in runs.items():
            walls = [r[0] for r in done]
            print(f"median of {repeat} (best wall {min(walls):5.1f} s) ", end="")
            _print_import(name if len(trees) > 1 else None, analyze, *_medians(done))
    return runs


def _print_import(name: str | None, analyze: bool, wall: float, cpu: float, mb: float) -> None:
    what = "terskel import --no-analyze (decode + store):"
    if analyze:
        what = "terskel import (decode + store + analysis):  "
    tag = f" [{name}]" if name else ""
    print(f"{what} wall {wall:6.1f} s  cpu {cpu:6.1f} s  peak RSS {mb:.0f} MB{tag}")


def _median(runs: list[Run], field: int) -> float:
    return statistics.median(float(r[field]) for r in runs)


def _medians(runs: list[Run]) -> tuple[float, float, float]:
    return _median(runs, 0), _median(runs, 1), _median(runs, 2)


if __name__ == "__main__":
    raise SystemExit(main())
