"""kill -9 after each kind of commit of `import` and of its analysis (a real forked process
killed by the store's test hook); the next `import` or `analyze` must leave the store
identical, analysis tables included, to an uninterrupted import."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from terskel.store.faults import KILL_ENV, LOG_ENV
from tests.conftest import DEMO_DATA
from tests.faults.conftest import Zygote, same_as_its_neighbours
from tests.faults.snapshot import analysed, differences, snapshot

Snapshot = dict[str, list[tuple[Any, ...]]]
# Kill point of the default run: after the files are saved; the slow test kills after
# every distinct commit, after the structures too (issue 12: the runs stayed untyped).
POINTS = ["save_uploads"]
KILLED = -signal.SIGKILL


def _cli(folder: Path) -> list[str]:
    config = folder / "config.toml"
    config.touch()
    return ["--db", str(folder / "store.duckdb"), "--config", str(config)]


def _import(folder: Path) -> list[str]:
    return [*_cli(folder), "import", "--workers", "1", str(DEMO_DATA)]


@pytest.fixture(scope="session")
def reference(
    zygote: Zygote, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Snapshot, list[str]]:
    """The store of an uninterrupted import, and the labels of its commits in order."""
    folder = tmp_path_factory.mktemp("import-reference")
    log = folder / "commits.log"
    rc = zygote.run(_import(folder), {LOG_ENV: str(log)}, folder / "out.txt")
    assert rc == 0, (folder / "out.txt").read_text()
    assert analysed(folder / "store.duckdb")["sessions"] == 5
    return snapshot(folder / "store.duckdb"), log.read_text().split()


def _killed_then_rerun(zygote: Zygote, folder: Path, point: str, rerun: list[str]) -> Snapshot:
    killed = zygote.run(_import(folder), {KILL_ENV: point}, folder / "killed.txt")
    assert killed == KILLED, (folder / "killed.txt").read_text()
    rc = zygote.run(rerun, output=folder / "rerun.txt")
    assert rc == 0, (folder / "rerun.txt").read_text()
    return snapshot(folder / "store.duckdb")


@pytest.mark.parametrize("point", POINTS)
def test_import_killed_after_a_commit_heals_on_the_next_import(
    zygote: Zygote, reference: tuple[Snapshot, list[str]], tmp_path: Path, point: str
) -> None:
    expected, labels = reference
    assert point in labels
    healed = _killed_then_rerun(zygote, tmp_path, point, _import(tmp_path))
    assert differences(healed, expected) == []


@pytest.mark.parametrize(
    ("point", "finished"),
    [
        ("save_structures", 5),
        pytest.param("save_zone_analysis", 0, marks=pytest.mark.slow),
        pytest.param("save_sessions", 0, marks=pytest.mark.slow),
    ],
)
def test_killed_during_analysis_then_analyze_finishes_the_runs(
    zygote: Zygote, reference: tuple[Snapshot, list[str]], tmp_path: Path, point: str, finished: int
) -> None:
    healed = _killed_then_rerun(zygote, tmp_path, point, [*_cli(tmp_path), "analyze"])
    assert f"analysed {finished} runs" in (tmp_path / "rerun.txt").read_text()
    assert differences(healed, reference[0]) == []


@pytest.mark.slow
@pytest.mark.parametrize("nth", range(1, 13))
def test_import_killed_after_any_commit_heals(
    zygote: Zygote, reference: tuple[Snapshot, list[str]], tmp_path: Path, nth: int
) -> None:
    if nth > len(reference[1]):
        pytest.skip(f"the import makes {len(reference[1])} commits")
    if same_as_its_neighbours(reference[1], nth):
        pytest.skip(f"commit {nth} is covered by its run's first, middle and last")
    healed = _killed_then_rerun(zygote, tmp_path, str(nth), _import(tmp_path))
    assert differences(healed, reference[0]) == []


def _raw_consistent(db: Path) -> tuple[int, list[str]]:
    """raw_files rows, and those whose payload is missing or does not match its hash."""
    from terskel.store import Store

    with Store.open(db, read_only=True) as store:
        rows = store.con.execute("SELECT sha256 FROM raw_files").fetchall()
        wrong = [sha for (sha,) in rows if store.raw_bytes(sha) is None]
        return len(rows), store.raw_files_missing() + wrong


@pytest.mark.parametrize("point", ["raw_written", "save_uploads"])
def test_killed_between_the_raw_file_and_its_commit_or_after_stays_consistent(
    zygote: Zygote, reference: tuple[Snapshot, list[str]], tmp_path: Path, point: str
) -> None:
    db = tmp_path / "store.duckdb"
    killed = zygote.run(_import(tmp_path), {KILL_ENV: point}, tmp_path / "killed.txt")
    assert killed == KILLED, (tmp_path / "killed.txt").read_text()
    payloads = list((tmp_path / "store.duckdb.raw").glob("??/*.gz"))
    assert len(payloads) == 5  # every payload is on disk before the commit
    rows, broken = _raw_consistent(db)
    assert rows == (0 if point == "raw_written" else 5) and broken == []
    rc = zygote.run(_import(tmp_path), output=tmp_path / "rerun.txt")
    assert rc == 0, (tmp_path / "rerun.txt").read_text()
    assert "imported 0" not in (tmp_path / "rerun.txt").read_text() or point == "save_uploads"
    assert _raw_consistent(db) == (5, [])
    assert differences(snapshot(db), reference[0]) == []
