"""Writers defer checkpoints to the WAL's size: a small write (a nightly file) leaves a
WAL that every later open, read-only ones too, replays; `Store.checkpoint` folds it in.
(DuckDB itself checkpoints at the commit of a bulk insert, e.g. a whole folder.)"""

from __future__ import annotations

import shutil
from pathlib import Path

from terskel.jobs.ingest import import_paths
from terskel.store import Store
from tests.conftest import DEMO_DATA

ONE_RUN = DEMO_DATA.parent / "demo-weeks" / "fitparse__2013-02-06-12-11-14.fit"


def _wal(db: Path) -> Path:
    return db.with_name(db.name + ".wal")


def test_a_small_import_stays_in_the_wal_and_is_read_back(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        import_paths(store, [DEMO_DATA], workers=1)
        store.checkpoint()
    assert not _wal(db).exists()
    with Store.open(db) as store:
        import_paths(store, [ONE_RUN], workers=1)  # the nightly case: one new file
    assert _wal(db).exists() and _wal(db).stat().st_size > 0  # no checkpoint on close
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
