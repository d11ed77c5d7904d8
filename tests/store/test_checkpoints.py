"""A writer folds its WAL into the file after each commit and at close, so a nightly
import leaves one file (and its raw folder); `Store.checkpoint` folds it in any time. An
import is one bulk write: checkpoints held until its end, then one (store/checkpoints.py)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from terskel.jobs.ingest import import_paths
from terskel.store import Store, blocks, core, faults, opening
from tests.conftest import DEMO_DATA

ONE_RUN = DEMO_DATA.parent / "demo-weeks" / "fitparse__2013-02-06-12-11-14.fit"


def _wal(db: Path) -> Path:
    return db.with_name(db.name + ".wal")


def test_a_small_import_is_folded_at_close_and_read_back(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        import_paths(store, [DEMO_DATA], workers=1)
    assert not _wal(db).exists()
    with Store.open(db) as store:
        import_paths(store, [ONE_RUN], workers=1)  # the nightly case: one new file
        assert not _wal(db).exists()  # folded at the import's end (its commit alone)
        store.save_thresholds([])  # nothing to write: no commit
        with store.transaction():  # a commit outside a bulk write is folded at once
            store.con.execute(
                "INSERT INTO lactate (athlete_id, mmol, source) VALUES ('me', 2, 'manual')"
            )
        assert not _wal(db).exists()
    assert not _wal(db).exists()  # and at close: one file for a backup or a copy
    with Store.open(db, read_only=True) as store:
        assert store.table_counts()["activities"] == 6
    with Store.open(db) as store:  # a writer sees it too, and adds nothing twice
        summary = import_paths(store, [ONE_RUN], workers=1)
        assert summary.present == 1 and store.table_counts()["activities"] == 6


def test_checkpoint_makes_the_file_whole_on_its_own(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        import_paths(store, [ONE_RUN], workers=1)
        store.checkpoint()
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db, copy)  # the file alone, as a backup that forgets the WAL
    with Store.open(copy, read_only=True) as store:
        assert store.table_counts()["activities"] == 1


def _commit_blob(store: Store, n: int) -> None:
    """One commit of 1.5 MB that does not compress (a quarantined file's bytes)."""
    blob = random.Random(n).randbytes(1_500_000)
    with store.transaction():
        store.con.execute(
            "INSERT INTO quarantine (athlete_id, source, source_id, reason, content) "
            "VALUES (?, 'fit', ?, 'test', ?)",
            [store.athlete_id, f"blob{n}", blob],
        )


def test_a_bulk_write_checkpoints_once_at_its_end(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        with store.bulk_writes():
            for n in range(4):  # 6 MB of WAL: past the 4 MB a commit would checkpoint at
                _commit_blob(store, n)
            assert _wal(db).stat().st_size > 4_000_000  # held: no checkpoint at a commit
        assert not _wal(db).exists()  # folded in once, at the end
        for n in range(4, 8):  # afterwards a commit past 4 MB checkpoints again
            _commit_blob(store, n)
        assert not _wal(db).exists() or _wal(db).stat().st_size < 4_000_000
    with Store.open(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM quarantine") == 8


def test_a_store_whose_checkpoint_cut_free_blocks_off_its_end_opens(tmp_path: Path) -> None:
    """A checkpoint (at every writer's close now) cuts free blocks off the file's end
    while the header still counts them; the next open must not take the shorter file
    for a truncated copy (it did on the bench store's third night)."""
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        import_paths(store, [ONE_RUN], workers=1)
        store.checkpoint()
        store.con.execute("CREATE TABLE scratch AS SELECT random() AS x FROM range(2000000)")
        store.checkpoint()
        store.con.execute("DROP TABLE scratch")  # its blocks, at the end, become free
        store.checkpoint()  # then the close's checkpoint cuts them off the file
    assert db.stat().st_size < 2_000_000 * 8
    for _ in range(2):
        with Store.open(db) as store:
            assert store.table_counts()["activities"] == 1
    with Store.open(db, read_only=True) as store:
        assert store.table_counts()["activities"] == 1


def _store_bytes(db: Path) -> int:
    """File + WAL + raw folder, as bench/nightly_import.py counts the store."""
    raw = db.with_name(db.name + ".raw")
    payloads = sum(p.stat().st_size for p in raw.rglob("*") if p.is_file())
    return db.stat().st_size + (_wal(db).stat().st_size if _wal(db).exists() else 0) + payloads


def test_a_nightly_import_grows_a_new_store_by_small_blocks(tmp_path: Path) -> None:
    """A checkpoint writes every touched table's last row group (and ART index) into
    fresh blocks (the old ones are freed only after it): 7 tables for one file's import.
    With DuckDB's 256 KiB blocks one 18 KB file grew a 5-run store by 2.9 MB; a new
    store's 64 KiB blocks made it 0.8 MB (store/opening.py, NEW_FILE_BLOCK_SIZE), and
    without the tables' indexes (schema v10, v11) 0.4 MB."""
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        import_paths(store, [DEMO_DATA], workers=1)
        assert store.scalar("SELECT block_size FROM pragma_database_size()") == 65_536
    before = _store_bytes(db)
    with Store.open(db) as store:
        import_paths(store, [ONE_RUN], workers=1)  # decode and store: the nightly's import
    assert _store_bytes(db) - before < 600_000


def _old_store(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store made before NEW_FILE_BLOCK_SIZE: DuckDB's 256 KiB blocks, one run in it."""
    with monkeypatch.context() as patched:
        for module in (opening, core):
            patched.setattr(module, "NEW_FILE_BLOCK_SIZE", 262_144)
        with Store.open(db) as store:
            import_paths(store, [ONE_RUN], workers=1)
            assert store.scalar("SELECT block_size FROM pragma_database_size()") == 262_144


def test_a_store_of_256_kib_blocks_is_copied_into_small_ones_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "s.duckdb"
    _old_store(db, monkeypatch)
    with Store.open(db) as store:  # the first writer copies it (store/blocks.py)
        assert store.scalar("SELECT block_size FROM pragma_database_size()") == 65_536
        assert store.table_counts()["activities"] == 1
        assert store.table_counts()["samples"] > 0
        import_paths(store, [DEMO_DATA], workers=1)  # sequences and keys go on
    assert not db.with_name(db.name + ".blocks").exists()
    with Store.open(db, read_only=True) as store:
        assert store.table_counts()["activities"] == 6
        ids = store.scalar("SELECT count(DISTINCT activity_id) FROM activities")
        assert ids == 6


@pytest.mark.parametrize("point", ["blocks_copying", "blocks_copied"])
def test_a_copy_into_small_blocks_killed_leaves_the_old_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    """kill -9 during the copy: the old file stays whole, the next writer copies again."""
    db = tmp_path / "s.duckdb"
    _old_store(db, monkeypatch)
    code = f"from terskel.store import Store; Store.open(__import__('pathlib').Path({str(db)!r}))"
    env = {**os.environ, faults.KILL_ENV: point}
    done = subprocess.run([sys.executable, "-c", code], env=env, check=False)
    assert done.returncode == -signal.SIGKILL
    with Store.open(db, read_only=True) as store:
        assert store.scalar("SELECT block_size FROM pragma_database_size()") == 262_144
        assert store.table_counts()["activities"] == 1
    with Store.open(db) as store:
        assert store.scalar("SELECT block_size FROM pragma_database_size()") == 65_536
        assert store.table_counts()["activities"] == 1
    assert not db.with_name(db.name + ".blocks").exists()


def test_a_copy_into_small_blocks_that_fails_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "s.duckdb"
    _old_store(db, monkeypatch)

    def full_disk(path: Path, copy: Path) -> None:
        copy.write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(blocks, "_copy", full_disk)
    with Store.open(db) as store:  # opens all the same, on its 256 KiB blocks
        assert store.scalar("SELECT block_size FROM pragma_database_size()") == 262_144
        import_paths(store, [DEMO_DATA], workers=1)
    assert not db.with_name(db.name + ".blocks").exists()
    with Store.open(db, read_only=True) as store:
        assert store.table_counts()["activities"] == 6


def test_a_disk_without_room_for_the_copy_is_not_tried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A nearly full disk: the copy would fail at every nightly open; it is not begun."""
    db = tmp_path / "s.duckdb"
    _old_store(db, monkeypatch)
    room = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(
        blocks.shutil, "disk_usage", lambda _: room._replace(free=2 * db.stat().st_size)
    )
    tried: list[Path] = []
    monkeypatch.setattr(blocks, "copy_to_small_blocks", tried.append)
    monkeypatch.setattr(core, "copy_to_small_blocks", tried.append)
    with Store.open(db) as store:
        assert store.scalar("SELECT block_size FROM pragma_database_size()") == 262_144
        assert store.table_counts()["activities"] == 1
    assert tried == []
