"""Import throughput: terskel's end-to-end import against a plain fitparse decode loop.

Imports every FIT file under ../shared/data/fit and ../shared/data/history into a
fresh store (decode + store, through the real CLI in a subprocess) and, in the same
run, decodes the same files with the loop a Python user would write with fitparse.
Prints both times, the ratio, and the import's peak memory.

    uv run python bench/import_throughput.py
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FOLDERS = [SHARED / "fit", SHARED / "history"]


def fit_files() -> list[Path]:
    """Every FIT file the benchmark reads."""
    return sorted(p for folder in FOLDERS for p in folder.rglob("*") if p.suffix.lower() == ".fit")


def fitparse_loop(files: list[Path]) -> tuple[float, int]:
    """Seconds to decode every file with fitparse, and how many it could not read."""
    import fitparse

    failures = 0
    start = time.perf_counter()
    for path in files:
        try:
            for message in fitparse.FitFile(str(path)).get_messages():
                message.get_values()
        except Exception:  # the baseline as a user would write it: skip what fails
            failures += 1
    return time.perf_counter() - start, failures


def terskel_import() -> tuple[float, float, str]:
    """Seconds for `terskel import` of all folders into a new store, peak RSS (MB), summary."""
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        command = [sys.executable, "-m", "terskel", "--db", str(db), "import", "--no-analyze"]
        command += [str(folder) for folder in FOLDERS]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    lines = [line for line in done.stdout.splitlines() if line.startswith("imported")]
    summary = lines[-1] if lines else done.stderr[-300:]
    return seconds, peak_mb, " ".join(summary.split())


def main() -> int:
    if not all(folder.is_dir() for folder in FOLDERS):
        print(f"skipped: {SHARED} is not here")
        return 0
    files = fit_files()
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    print(f"{len(files)} FIT files, {size_mb:.1f} MB")
    ours, peak_mb, summary = terskel_import()
    print(f"terskel import (decode + store): {ours:6.1f} s   peak RSS {peak_mb:.0f} MB")
    print(f"  {summary}")
    baseline, failures = fitparse_loop(files)
    print(f"fitparse decode loop:            {baseline:6.1f} s   ({failures} files it cannot read)")
    print(f"ratio: terskel is {baseline / ours:.1f}x faster (target >= 10x, peak < 1024 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
