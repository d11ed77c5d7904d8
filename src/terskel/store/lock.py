"""One writer at a time: an advisory lock beside the store file.

DuckDB itself allows one writing process, but its error text is not a contract.
`flock` is released by the kernel when the holder dies, so a crashed sync never
leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


class StoreBusy(Exception):
    """Another terskel process is writing to the store; the message says which."""


class WriterLock:
    """Holds `<store>.lock` exclusively until released (or the process ends)."""

    def __init__(self, store_path: Path) -> None:
        self.path = store_path.with_name(store_path.name + ".lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock at once or raise StoreBusy naming the holder's pid."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StoreBusy(
                f"{self.path.with_suffix('')}: another terskel process (pid {holder}) is "
                "writing to this store; try again when it has finished"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Let the next writer in."""
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
