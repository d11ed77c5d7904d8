"""Import throughput: terskel's end-to-end import against a plain fitparse decode loop.

Imports every FIT file under ../shared/data/fit and ../shared/data/history into a
fresh store through the real CLI in a subprocess, twice: `import` (decode + store +
analysis) and `import --no-analyze` (decode + store). In the same run it decodes the
same files with the loop a Python user would write with fitparse. Prints the times,
the ratios, and each import's peak memory summed over the CLI and its worker processes
(sampled from /proc, since workers peak at the same time). Wall and CPU time both: on a
shared machine the CPU ratio (the CLI and its workers against the loop) is the steadier one.

    uv run python bench/import_throughput.py
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

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


def terskel_import(analyze: bool) -> tuple[float, float, float, str]:
    """Wall and CPU seconds of `terskel import` of all folders into a new store (CLI and
    workers), peak tree RSS (MB), summary."""
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        command = [sys.executable, "-m", "terskel", "--db", str(db), "import"]
        command += ([] if analyze else ["--no-analyze"]) + [str(f) for f in FOLDERS]
        start, cpu = time.perf_counter(), _children_cpu()
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
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
    if not all(folder.is_dir() for folder in FOLDERS):
        print(f"skipped: {SHARED} is not here")
        return 0
    files = fit_files()
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    print(f"{len(files)} FIT files, {size_mb:.1f} MB")
    full, full_cpu, full_mb, full_summary = terskel_import(analyze=True)
    print(
        f"terskel import (decode + store + analysis):   wall {full:6.1f} s  cpu {full_cpu:6.1f} s  "
        f"peak RSS {full_mb:.0f} MB"
    )
    print(f"  {full_summary}")
    bare, bare_cpu, bare_mb, bare_summary = terskel_import(analyze=False)
    print(
        f"terskel import --no-analyze (decode + store): wall {bare:6.1f} s  cpu {bare_cpu:6.1f} s  "
        f"peak RSS {bare_mb:.0f} MB"
    )
    print(f"  {bare_summary}")
    baseline, baseline_cpu, failures = fitparse_loop(files)
    print(
        f"fitparse decode loop:                         wall {baseline:6.1f} s  "
        f"cpu {baseline_cpu:6.1f} s  ({failures} files it cannot read)"
    )
    print(
        f"ratio, wall: import with analysis {baseline / full:.1f}x faster than fitparse, "
        f"without analysis {baseline / bare:.1f}x (target >= {TARGET_RATIO}x)"
    )
    print(
        f"ratio, cpu:  import with analysis {baseline_cpu / full_cpu:.1f}x, "
        f"without analysis {baseline_cpu / bare_cpu:.1f}x; "
        "peak RSS summed over the CLI and its workers"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
