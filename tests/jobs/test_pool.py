"""The import's decoding workers: started warm, before any file is sent; ended with the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from terskel.jobs.pool import MIN_FILES_FOR_WORKERS, decoding_pool, wanted_workers
from tests.conftest import ROOT


def _decoder_loaded(_: int) -> bool:
    return "terskel.jobs.decoding" in sys.modules


def test_a_warm_pool_starts_every_worker_with_the_decoder_loaded() -> None:
    with decoding_pool(2, warm=True) as pool:
        started = len(pool._processes)  # before any work is sent
        loaded = list(pool.map(_decoder_loaded, range(8)))
    assert started == 2
    assert all(loaded)


def test_a_cold_pool_starts_its_workers_with_the_first_files() -> None:
    with decoding_pool(2) as pool:
        assert not pool._processes


def test_workers_only_for_enough_files() -> None:
    assert wanted_workers(2, MIN_FILES_FOR_WORKERS) == 2
    assert wanted_workers(2, MIN_FILES_FOR_WORKERS - 1) == 0
    assert wanted_workers(1, 1000) == 0
    assert wanted_workers(3, None) == 3


# A CLI that starts its workers, then is killed (kill -9, the OOM killer).
_KILLED_PARENT = """
import os, signal
from terskel.jobs.pool import decoding_pool

with decoding_pool(2, warm=True) as pool:
    print(*pool._processes, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_the_workers_end_when_the_cli_is_killed(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    parent = subprocess.Popen(
        [sys.executable, "-c", _KILLED_PARENT], stdout=subprocess.PIPE, text=True, env=env
    )
    assert parent.stdout is not None
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    try:
        assert len(workers) == 2
        # the workers held the CLI's stdout: its end came only when they had gone
        parent.communicate(timeout=20)
        assert parent.returncode == -signal.SIGKILL
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)]
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
