"""One writer at a time: an advisory lock beside the store file, saying who holds it.

DuckDB itself allows one writing process, but its error text is not a contract.
`flock` is released by the kernel when the holder dies, so a crashed sync never
leaves a stale lock behind. The lock file also holds who took it (pid, command,
since when), so a waiting writer or a refused reader can name the holder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

POLL_S = 0.2  # how often a waiting process tries again


class StoreBusy(Exception):
    """Another terskel process is writing to the store; the message says which."""


@dataclass(frozen=True)
class Holder:
    """Who holds the writer lock, as it wrote into the lock file."""

    # {"pid": 4242, "command": "terskel sync", "since": "2026-01-05T03:00:01+00:00"}
    pid: int | None
    command: str | None
    since: dt.datetime | None

    def describe(self) -> str:
        """`pid 4242 (terskel sync, since 03:00 UTC)`, with what is known."""
        what = [self.command or ""]
        if self.since is not None:
            what.append(f"since {self.since.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC")
        detail = ", ".join(w for w in what if w)
        pid = f"pid {self.pid}" if self.pid is not None else "pid unknown"
        return f"{pid} ({detail})" if detail else pid


def lock_path(store_path: Path) -> Path:
    """The lock file beside a store."""
    return store_path.with_name(store_path.name + ".lock")


def read_holder(store_path: Path) -> Holder | None:
    """Who writes to the store now, or None when nobody holds the writer lock."""
    path = lock_path(store_path)
    try:
        with path.open("r", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return _parse(handle.read())
            fcntl.flock(handle, fcntl.LOCK_UN)
            return None  # the file is there, but its writer is gone
    except OSError:
        return None


def _parse(text: str) -> Holder:
    """The holder from the lock file (older terskel wrote the bare pid)."""
    try:
        data = json.loads(text)
    except ValueError:
        data = {}
    if isinstance(data, int):
        data = {"pid": data}
    if not isinstance(data, dict):
        data = {}
    since = None
    with contextlib.suppress(KeyError, ValueError):
        since = dt.datetime.fromisoformat(str(data["since"]))
    pid = data.get("pid")
    command = data.get("command")
    return Holder(
        pid if isinstance(pid, int) else None,
        command if isinstance(command, str) else None,
        since,
    )


def this_command() -> str:
    """What this process runs, short: `terskel sync --source strava`."""
    args = [os.path.basename(sys.argv[0]) if sys.argv else "python", *sys.argv[1:]]
    if args and args[0] in ("__main__.py", "-m"):
        args[0] = "terskel"
    text = " ".join(args)
    return text if len(text) <= 80 else text[:77] + "..."


class WriterLock:
    """Holds `<store>.lock` exclusively until released (or the process ends)."""

    def __init__(self, store_path: Path) -> None:
        self.store_path = store_path
        self.path = lock_path(store_path)
        self._handle: IO[str] | None = None

    def acquire(self, wait_s: float = 0.0, on_wait: Callable[[str], None] | None = None) -> None:
        """Take the lock, waiting up to `wait_s` for its holder; StoreBusy naming it after."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        deadline = time.monotonic() + wait_s
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                holder = _parse(handle.read()).describe()
            if time.monotonic() >= deadline:
                handle.close()
                waited = f" (waited {wait_s:.0f} s)" if wait_s else ""
                raise StoreBusy(
                    f"{self.store_path}: another terskel process, {holder}, is writing to "
                    f"this store{waited}; try again when it has finished"
                ) from None
            if not told and on_wait is not None:
                on_wait(f"{self.store_path}: waiting up to {wait_s:.0f} s for {holder} to finish")
                told = True
            time.sleep(POLL_S)
        handle.seek(0)
        handle.truncate()
        info = {"pid": os.getpid(), "command": this_command(), "since": _now()}
        handle.write(json.dumps(info))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Let the next writer in."""
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
