"""Raw FIT bytes live in `<store>.raw/ab/<sha256>.gz`, the store keeps hash + path; a
store of schema v8 (bytes inside DuckDB) moves them out when it is opened."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from terskel.jobs.ingest import import_paths
from terskel.store import Store
from terskel.store.raw_folder import RawFolder, RawFolderError, folder_of
from terskel.store.schema import RAW_TO_FOLDER, latest_version
from tests.conftest import DEMO_DATA
from tests.store.old_schema import store_at_version
from tests.test_layers import import_graph

FILES = sorted(DEMO_DATA.glob("*.fit"))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_import_keeps_each_file_in_the_folder_and_its_hash_and_path_in_the_store(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        import_paths(store, [DEMO_DATA], workers=1)
        rows = store.con.execute("SELECT sha256, path, size_bytes FROM raw_files").fetchall()
        assert sorted(r[0] for r in rows) == sorted(_sha(p) for p in FILES)
        for sha, path, size in rows:
            assert path == f"{sha[:2]}/{sha}.gz"
            packed = (folder_of(db) / path).read_bytes()
            assert hashlib.sha256(gzip.decompress(packed)).hexdigest() == sha
            assert len(store.raw_bytes(sha) or b"") == size
        assert store.raw_bytes(FILES[0].name) is None
        assert store.raw_files_missing() == []
        columns = store.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'raw_files'"
        ).fetchall()
        assert ("content",) not in columns
    assert folder_of(db) == tmp_path / "s.duckdb.raw"


def test_a_damaged_payload_is_refused_not_returned(tmp_path: Path) -> None:
    folder = RawFolder(tmp_path / "x.raw")
    data = FILES[0].read_bytes()
    sha = _sha(FILES[0])
    relative = folder.put(sha, data)
    assert folder.get(relative, sha) == data
    (folder.root / relative).write_bytes(gzip.compress(data[:-1]))
    with pytest.raises(RawFolderError, match="do not match"):
        folder.get(relative, sha)


def _v8_store(db: Path) -> dict[str, bytes]:
    """A store of schema v8 as the previous terskel wrote it: bytes in raw_files.content."""
    con = store_at_version(db, RAW_TO_FOLDER - 1)
    kept = {}
    for path in FILES:
        data = path.read_bytes()
        kept[_sha(path)] = data
        con.execute(
            "INSERT INTO raw_files (athlete_id, sha256, size_bytes, content, first_path) "
            "VALUES ('me', ?, ?, ?, ?)",
            [_sha(path), len(data), data, str(path)],
        )
    con.close()
    return kept


def test_opening_a_v8_store_moves_its_bytes_into_the_folder(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    kept = _v8_store(db)
    with Store.open(db) as store:
        assert store.schema_version() == latest_version()
        assert store.raw_files_missing() == []
        for sha, data in kept.items():
            assert store.raw_bytes(sha) == data
        # the files are known: importing them again adds nothing
        summary = import_paths(store, [DEMO_DATA], workers=1)
        assert summary.present == len(FILES) and summary.imported == 0


def test_a_migration_killed_part_way_finishes_on_the_next_open(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    kept = _v8_store(db)
    first = next(iter(kept))
    RawFolder(folder_of(db)).put(first, kept[first])  # written before the kill
    stray = folder_of(db) / first[:2] / f".{first}.gz.4242.tmp"
    stray.write_bytes(b"half")  # a write the kill cut short: never renamed into place
    with Store.open(db) as store:
        assert store.raw_files_missing() == []
        assert all(store.raw_bytes(sha) == data for sha, data in kept.items())


def test_only_the_store_uses_the_raw_folder() -> None:
    users = {m for m, targets in import_graph().items() if "terskel.store.raw_folder" in targets}
    assert users and all(m.startswith("terskel.store.") for m in users), users


def test_duckdb_draws_no_progress_bar_of_its_own(tmp_path: Path) -> None:
    # it printed one on stdout, no terminal needed, during the v9 migration of a real store
    for read_only in (False, True):
        with Store.open(tmp_path / "s.duckdb", read_only=read_only) as store:
            assert store.scalar("SELECT current_setting('enable_progress_bar')") is False
