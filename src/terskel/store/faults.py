"""Test hooks: SIGKILL this process right after a chosen commit; hold a chosen commit's
transaction in a long DuckDB query (where a SIGTERM then lands).

The fault-injection tests (tests/faults/) run terskel in a subprocess with
TERSKEL_KILL_AFTER_COMMIT set, to prove that a store killed after any commit
heals on the next run. Outside those tests the variables are unset and a commit
costs one environment lookup more.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

# "<n>" (the n-th commit of the process), "<label>" or "<label>#<n>" (its n-th commit);
# a label is the Store method that committed: save_uploads, save_structures, ...;
# or a point passed to `reached` (raw_written: before save_uploads' commit)
KILL_ENV = "TERSKEL_KILL_AFTER_COMMIT"
# A file every commit's label is appended to (how the tests find the kill points).
LOG_ENV = "TERSKEL_COMMIT_LOG"
# "<label>" or "<label>#<n>": that commit's transaction runs a query of minutes first
# (interrupted by a signal, it rolls back), having created the file named in SLOW_READY_ENV
SLOW_ENV = "TERSKEL_SLOW_BEFORE_COMMIT"
SLOW_READY_ENV = "TERSKEL_SLOW_READY"
SLOW_QUERY = "SELECT sum(i * i) FROM range(20_000_000_000) t(i)"
_HOOK_FRAMES = {
    "committed",
    "committing",
    "transaction",
    "__exit__",
    "_write",
    "set_sync_state",
}
_counts: dict[str, int] = {}
_before: dict[str, int] = {}


def committing(con: duckdb.DuckDBPyConnection) -> None:
    """Called before every commit, in its transaction; at the commit the tests named,
    runs a DuckDB query long enough for them to send a signal into it."""
    slow = os.environ.get(SLOW_ENV)
    if slow is None:
        return
    label = _caller()
    nth = _before[label] = _before.get(label, 0) + 1
    if slow == f"{label}#{nth}" or (slow == label and nth == 1):
        ready = os.environ.get(SLOW_READY_ENV)
        if ready:
            Path(ready).touch()
        con.execute(SLOW_QUERY).fetchall()


def committed() -> None:
    """Called after every commit; kills the process at the commit the tests asked for."""
    kill, log = os.environ.get(KILL_ENV), os.environ.get(LOG_ENV)
    if kill is None and log is None:
        return
    label = _caller()
    total = _counts["*"] = _counts.get("*", 0) + 1
    nth = _counts[label] = _counts.get(label, 0) + 1
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{label}\n")
    if kill in (str(total), f"{label}#{nth}") or (kill == label and nth == 1):
        os.kill(os.getpid(), signal.SIGKILL)


def reached(point: str) -> None:
    """A named point between commits (`raw_written`: payloads on disk, rows not yet
    committed); kills the process when the tests named it in KILL_ENV."""
    if os.environ.get(KILL_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def _caller() -> str:
    """Name of the store method whose commit this is."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_name in _HOOK_FRAMES:
        frame = frame.f_back
    return frame.f_code.co_name
