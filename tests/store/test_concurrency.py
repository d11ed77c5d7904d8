"""Two processes on one store, for real: a second process holds the store open (as a
writer or a reader) until told to let go; writers wait for it and then proceed, readers
say in one line who writes, and a killed writer leaves no lock behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from terskel.jobs.ingest import import_paths
from terskel.store import Store, StoreLocked
from terskel.store.lock import read_holder
from tests.conftest import DEMO_DATA

ONE_FILE = str(DEMO_DATA / "workoutizer__with_nones.fit")
HOLD = (
    "import sys; from pathlib import Path; from terskel.store import Store; "
    "s = Store.open(Path(sys.argv[1]), read_only=sys.argv[2] == 'read'); "
    "print('ready', flush=True); sys.stdin.readline(); s.close(); print('released', flush=True)"
)


class Holder:
    """A second process that holds the store open until `release()`."""

    def __init__(self, db: Path, mode: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(db), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"
        self.pid = self.proc.pid

    def release(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "released"
        assert self.proc.wait(30) == 0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        import_paths(store, [DEMO_DATA / "tormoder__0137001239.fit"], workers=1)
    return path


@pytest.fixture
def holders() -> Iterator[list[Holder]]:
    started: list[Holder] = []
    yield started
    for holder in started:
        holder.stop()


def _terskel(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "terskel", "--db", str(db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "terskel", "--db", str(db), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


def test_a_writer_waits_for_a_writer_then_proceeds(db: Path, holders: list[Holder]) -> None:
    holder = Holder(db, "write")
    holders.append(holder)
    waiting = _terskel(db, "--lock-wait", "120", "import", ONE_FILE)
    assert waiting.stderr is not None
    said = waiting.stderr.readline()
    assert "waiting up to 120 s for" in said and f"pid {holder.pid}" in said and "since" in said
    assert waiting.poll() is None  # still waiting while the holder writes
    holder.release()
    _, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    with Store.open(db, read_only=True) as store:
        assert store.table_counts()["activities"] == 2


def test_a_writer_gives_up_after_its_wait_and_says_who(db: Path, holders: list[Holder]) -> None:
    holder = Holder(db, "write")
    holders.append(holder)
    result = _run(db, "--lock-wait", "0", "import", ONE_FILE)
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert f"another terskel process, pid {holder.pid}" in line and "try again" in line
    assert "-c" in line  # the holder's command, from the lock file


def test_a_writer_waits_for_a_reader_then_proceeds(db: Path, holders: list[Holder]) -> None:
    holder = Holder(db, "read")  # e.g. a long `terskel report`, or a DuckDB client
    holders.append(holder)
    waiting = _terskel(db, "--lock-wait", "120", "import", ONE_FILE)
    assert waiting.stderr is not None
    said = waiting.stderr.readline()
    assert "waiting up to 120 s for another process" in said and f"pid {holder.pid}" in said
    holder.release()
    _, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err


def test_a_reader_during_a_write_says_who_writes(db: Path, holders: list[Holder]) -> None:
    holder = Holder(db, "write")
    holders.append(holder)
    for command in (["activities"], ["query", "SELECT 1 AS one"], ["report", "week"]):
        result = _run(db, "--lock-wait", "0", *command)
        assert result.returncode == 1, result.stderr
        line = _one_line(result.stderr)
        assert f"terskel (pid {holder.pid}" in line and "try again when it has finished" in line


def test_a_reader_waits_for_the_write_to_end(db: Path, holders: list[Holder]) -> None:
    holder = Holder(db, "write")
    holders.append(holder)
    reader = _terskel(db, "--lock-wait", "120", "activities", "--json")
    assert reader.stderr is not None
    assert f"pid {holder.pid}" in reader.stderr.readline()
    holder.release()
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    assert len(json.loads(out)) == 1


def test_readers_share_the_store(db: Path, holders: list[Holder]) -> None:
    holders.append(Holder(db, "read"))
    result = _run(db, "--lock-wait", "0", "activities", "--json")
    assert result.returncode == 0, result.stderr


def test_a_killed_writer_leaves_no_lock(db: Path, holders: list[Holder]) -> None:
    holder = Holder(db, "write")
    holders.append(holder)
    held = read_holder(db)
    assert held is not None and held.pid == holder.pid
    os.kill(holder.pid, signal.SIGKILL)
    holder.proc.wait()
    assert read_holder(db) is None  # the kernel dropped the flock with the process
    result = _run(db, "--lock-wait", "0", "import", ONE_FILE)
    assert result.returncode == 0, result.stderr


def test_store_open_in_code_waits_the_given_time(db: Path, holders: list[Holder]) -> None:
    holders.append(Holder(db, "write"))
    told: list[str] = []
    with pytest.raises(StoreLocked, match="waited 1 s"):
        Store.open(db, wait_s=1, on_wait=told.append)
    assert len(told) == 1 and "waiting up to 1 s" in told[0]
    with pytest.raises(StoreLocked, match="has the store open"):
        Store.open(db, read_only=True, wait_s=0)
