"""Test-suite time: a pytest selection on this tree against the same on a baseline revision.

The baseline (default main) is exported whole with `git archive` to a temporary folder
beside a link to ../shared and run with its own src/ first on PYTHONPATH, in this
venv. Both runs happen in this process one after the other; wall and CPU seconds (of
pytest and its children) and the ratio are printed. On a shared machine compare CPU
and the ratio.

    uv run python bench/test_time.py [--base main] PYTEST_ARGS...
    uv run python bench/test_time.py -- tests/faults/test_kill_import.py -m slow
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(args: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall and child CPU seconds of `pytest ARGS` run in `cwd`, and its last line."""
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": f"{cwd / 'src'}{os.pathsep}{cwd}"},
        check=False,
    )
    wall = time.perf_counter() - start
    after = os.times()
    cpu = after.children_user - before.children_user
    cpu += after.children_system - before.children_system
    lines = done.stdout.strip().splitlines()
    return wall, cpu, lines[-1] if lines else done.stderr[-300:]


def export(revision: str, folder: Path) -> Path:
    """The tree of `revision` in `folder`, beside a ../shared link."""
    tree = folder / "terskel"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    (folder / "shared").symlink_to(ROOT.parent / "shared")
    return tree


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="main")
    parser.add_argument("pytest_args", nargs="+")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        base_tree = export(args.base, Path(temp))
        rows = [
            (f"tests/ of {args.base}", *timed(args.pytest_args, base_tree)),
            ("tests/ of this tree", *timed(args.pytest_args, ROOT)),
        ]
    print(f"pytest {' '.join(args.pytest_args)}")
    base_wall, base_cpu = rows[0][1], rows[0][2]
    for name, wall, cpu, last in rows:
        print(
            f"{name:<22} wall {wall:7.1f} s  cpu {cpu:7.1f} s  = {wall / base_wall:4.2f}x wall "
            f"{cpu / base_cpu:4.2f}x cpu  | {last}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
