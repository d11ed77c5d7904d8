"""Start-up: `terskel --help`, `--version` and `query --list` against `python -c pass`.

Each command runs `--repeat` times in a fresh interpreter (the installed entry point,
as a user types it); the median wall time and the median CPU time (user + sys of the
child) are printed with the ratio to `python -c pass` measured in the same run. On a
shared machine wall time is noisy: the CPU time and the ratio are the figures to
compare. The first run of each command is discarded (it may compile bytecode, and it
records the output `--help` and `--version` replay later; the row "--help, 1st"
times `--help` rendered by typer every time).

    uv run python bench/startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_S = 0.3  # issue 14: `terskel --help` < 0.3 s


def timed(
    command: list[str], repeat: int, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """Median wall seconds and median child CPU seconds of `repeat` runs (after a warm-up)."""
    subprocess.run(command, capture_output=True, check=True, env=env)
    walls, cpus = [], []
    for _ in range(repeat):
        if env and "TERSKEL_CACHE_DIR" in env:
            shutil.rmtree(env["TERSKEL_CACHE_DIR"], ignore_errors=True)
        before = os.times()
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, env=env)
        walls.append(time.perf_counter() - start)
        after = os.times()
        cpus.append(
            after.children_user
            - before.children_user
            + after.children_system
            - before.children_system
        )
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    entry = shutil.which("terskel") or ""
    terskel = [entry] if entry else [sys.executable, "-m", "terskel"]
    base_wall, base_cpu = timed([sys.executable, "-c", "pass"], args.repeat)
    print(f"python -c pass          wall {base_wall:6.3f} s  cpu {base_cpu:6.3f} s")
    # the floor under any typer --help: typer and the rich help renderer it imports
    floor = [sys.executable, "-c", "import typer, typer.main, typer.rich_utils"]
    floor_wall, floor_cpu = timed(floor, args.repeat)
    print(
        f"import typer+rich help  wall {floor_wall:6.3f} s  cpu {floor_cpu:6.3f} s  "
        f"= {floor_wall / base_wall:5.1f}x pass (what typer itself costs)"
    )
    # a first --help (or one after an upgrade): no record yet, typer renders (cli/replay.py)
    with tempfile.TemporaryDirectory() as empty:
        env = {**os.environ, "TERSKEL_CACHE_DIR": os.path.join(empty, "records")}
        wall, cpu = timed([*terskel, "--help"], args.repeat, env)
    print(
        f"{'terskel --help, 1st':<23} wall {wall:6.3f} s  cpu {cpu:6.3f} s  "
        f"= {wall / base_wall:5.1f}x pass (wall), +{cpu - base_cpu:.3f} s cpu"
    )
    for label, extra in (
        ("terskel --help", ["--help"]),
        ("terskel --version", ["--version"]),
        ("terskel query --list", ["query", "--list"]),
    ):
        wall, cpu = timed([*terskel, *extra], args.repeat)
        print(
            f"{label:<23} wall {wall:6.3f} s  cpu {cpu:6.3f} s  "
            f"= {wall / base_wall:5.1f}x pass (wall), +{cpu - base_cpu:.3f} s cpu"
        )
        if label == "terskel --help":
            verdict = "met" if cpu < TARGET_S else "not met"
            print(f"  target < {TARGET_S} s: {verdict} (cpu; wall depends on the load)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
