"""The import's decoding workers: started warm, before any file is sent; SIGTERM as `Terminated`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from terskel.jobs.pool import (
    MIN_FILES_FOR_WORKERS,
    Terminated,
    decoding_pool,
    sigterm_as_interrupt,
    sigterm_held,
    wanted_workers,
)
from terskel.store import Store, faults
from terskel.store.schema import latest_version
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


def _in_main_thread() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers are set in the main thread only")


def test_a_sigterm_in_a_duckdb_query_is_terminated_not_the_query_interrupted() -> None:
    # DuckDB's own signal check drops the handler's exception for RuntimeError("Query
    # interrupted"), which the CLI took for a Ctrl-C (exit 130, not 143)
    _in_main_thread()
    con = duckdb.connect()
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM))
    try:
        with pytest.raises(Terminated) as raised, sigterm_as_interrupt():
            timer.start()
            con.execute("SELECT sum(i * i) FROM range(20_000_000_000) t(i)").fetchall()
    finally:
        timer.join()
        con.close()
    assert isinstance(raised.value.__cause__, RuntimeError)


def test_a_sigterm_whose_exception_was_swallowed_ends_the_block() -> None:
    _in_main_thread()
    went_on = False
    with pytest.raises(Terminated), sigterm_as_interrupt():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        except Exception:  # a layer that logs any error and goes on
            pass
        except KeyboardInterrupt:
            pass  # as a catch-all of BaseException would
        went_on = True
    assert went_on


def test_a_held_sigterm_is_raised_when_the_step_is_done() -> None:
    _in_main_thread()
    done = False
    with pytest.raises(Terminated), sigterm_as_interrupt(), sigterm_held():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)  # a handler would have run by now
        done = True
    assert done


def test_a_sigterm_while_a_new_store_is_made_leaves_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the test of the CLI (tests/test_bad_input.py) sends it once the file exists: cut at
    # a migration, the store was left at an early schema that readers refuse
    _in_main_thread()
    sent: list[int] = []

    def _sigterm_once() -> None:
        if not sent:
            sent.append(1)
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(faults, "committed", _sigterm_once)
    path = tmp_path / "s.duckdb"
    with pytest.raises(Terminated), sigterm_as_interrupt():
        Store.open(path, upgrading=sigterm_held)
    assert sent
    with Store.open(path, read_only=True) as store:  # closed, and at the latest schema
        assert store.schema_version() == latest_version()


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
