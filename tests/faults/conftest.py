"""Fixtures of the fault-injection suite: reference stores built once per session."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from terskel.jobs.analyze import analyze
from terskel.jobs.ingest import import_paths
from terskel.store import Store
from tests.conftest import DEMO_DATA, ROOT
from tests.faults.snapshot import snapshot


@pytest.fixture(scope="session")
def demo_reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[Any, ...]]]:
    """The demo runs imported and analysed without interruption."""
    db = tmp_path_factory.mktemp("reference") / "reference.duckdb"
    with Store.open(db) as store:
        import_paths(store, [DEMO_DATA], workers=1)
        analyze(store)
    return snapshot(db)


def imported_demo(folder: Path) -> Path:
    """A store holding the demo runs, not analysed yet."""
    db = folder / "store.duckdb"
    with Store.open(db) as store:
        import_paths(store, [DEMO_DATA], workers=1)
    return db


class Zygote:
    """Runs terskel commands in forked children of one pre-imported process."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            start_new_session=True,
        )

    def run(
        self, args: list[str], env: dict[str, str] | None = None, output: Path | None = None
    ) -> int:
        """Exit code of `terskel ARGS` (negative: killed by that signal)."""
        self.start(args, env, output)
        return self.finish()

    def start(
        self, args: list[str], env: dict[str, str] | None = None, output: Path | None = None
    ) -> int:
        """Start `terskel ARGS` in a child; returns its pid (then call `finish`)."""
        assert self.proc.stdin is not None
        env = dict(env or {})
        if output is not None:
            env["FAULT_OUTPUT"] = str(output)
        self.proc.stdin.write(json.dumps({"args": args, "env": env}) + "\n")
        self.proc.stdin.flush()
        pid: int = self._answer()["pid"]
        return pid

    def finish(self) -> int:
        """Exit code of the child started last (negative: killed by that signal)."""
        rc: int = self._answer()["rc"]
        return rc

    def _answer(self) -> dict[str, int]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "the zygote died"
        answer: dict[str, int] = json.loads(line)
        return answer

    def close(self) -> None:
        """Let the zygote end (stdin closed), then reap it."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="session")
def zygote() -> Iterator[Zygote]:
    """One pre-imported terskel process for the whole session."""
    forked = Zygote()
    try:
        yield forked
    finally:
        forked.close()


def same_as_its_neighbours(labels: list[str], nth: int) -> bool:
    """True when commit `nth` (1-based) is inside a run of >= 4 commits of one kind and is
    not its first, middle or last: killing after it leaves the same kind of store as
    killing after the commit before it (one more migration, one more saved activity)."""
    index = nth - 1
    first = last = index
    while first > 0 and labels[first - 1] == labels[index]:
        first -= 1
    while last + 1 < len(labels) and labels[last + 1] == labels[index]:
        last += 1
    return last - first >= 3 and index not in (first, (first + last) // 2, last)
