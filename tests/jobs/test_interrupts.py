"""SIGTERM as `Terminated` wherever it lands (a DuckDB query, a handler that swallows it), and
the sync's catch-all that must raise an interrupt on, not count it as the source's failure."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import duckdb
import pytest

from terskel.config import Settings
from terskel.jobs import sync as jobs_sync
from terskel.jobs.interrupts import Terminated, interrupted, sigterm_as_interrupt, sigterm_held
from terskel.jobs.sync import SourceReport, SyncOptions, sync_source
from terskel.store import Store, faults
from terskel.store.schema import latest_version


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


def test_an_error_from_an_interrupt_or_while_one_arrived_is_interrupted() -> None:
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise RuntimeError("a library's error while handling it") from None
    except RuntimeError as exc:
        wrapped = exc
    assert interrupted(wrapped)  # its context: `from None` hides it from tracebacks only
    assert not interrupted(RuntimeError("Query interrupted"))
    assert interrupted(RuntimeError("Query interrupted"), lambda: True)


def _sync_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: object) -> Path:
    monkeypatch.setattr(jobs_sync, "connector", lambda _source: run)
    return tmp_path / "s.duckdb"


def test_an_error_once_stopping_ends_the_run_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def query_interrupted(*_args: object) -> SourceReport:
        raise RuntimeError("Query interrupted")  # what DuckDB leaves of a SIGTERM

    db = _sync_with(tmp_path, monkeypatch, query_interrupted)
    with Store.open(db) as store:
        with pytest.raises(RuntimeError):
            sync_source(store, Settings(), "strava", SyncOptions(), print, lambda: True)
        report = sync_source(store, Settings(), "strava", SyncOptions(), print)
        assert report.status == "failed"  # not stopping: one unforeseen error, the sync goes on
        assert store.sync_runs()["status"].to_list() == ["failed", "interrupted"]


def test_an_interrupt_a_connector_swallowed_stops_before_the_next_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _sync_with(tmp_path, monkeypatch, lambda *_args: SourceReport("strava"))
    with Store.open(db) as store:
        with pytest.raises(KeyboardInterrupt):
            sync_source(store, Settings(), "strava", SyncOptions(), print, lambda: True)
        assert store.sync_runs()["status"].to_list() == ["interrupted"]


def test_a_ctrl_c_in_a_duckdb_query_is_a_keyboard_interrupt_not_the_query_interrupted() -> None:
    _in_main_thread()
    con = duckdb.connect()
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    try:
        with pytest.raises(KeyboardInterrupt) as raised, sigterm_as_interrupt() as arrived:
            timer.start()
            con.execute("SELECT sum(i * i) FROM range(20_000_000_000) t(i)").fetchall()
    finally:
        timer.join()
        con.close()
    assert type(raised.value) is KeyboardInterrupt  # not `Terminated`: import's exit 130
    assert isinstance(raised.value.__cause__, RuntimeError) and arrived()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
