"""Opening what is not a whole terskel store of this schema: one line, exit 2, nothing
written. A foreign DuckDB file, a truncated copy of a real store, a newer schema, an
older one opened read-only, and export --parquet onto something that is not its own."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from terskel.cli import app
from terskel.jobs.ingest import import_paths
from terskel.store import Store, StoreError
from terskel.store.schema import latest_version
from tests.conftest import DEMO_DATA

runner = CliRunner()
READERS = [["activities"], ["status"], ["query", "SELECT 1 AS one"], ["report", "week"]]
WRITERS = [["import", str(DEMO_DATA / "workoutizer__with_nones.fit")], ["analyze"]]


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("real") / "store.duckdb"
    with Store.open(db) as store:
        import_paths(store, [DEMO_DATA], workers=1)
        store.checkpoint()  # one file: the tests copy it without its WAL
    return db


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(db: Path, command: list[str], said: str) -> None:
    """The command fails in one line saying `said`, exit 2, and the file is unchanged."""
    before = _digest(db)
    result = runner.invoke(app, ["--db", str(db), "--lock-wait", "0", *command])
    assert result.exit_code == 2, (command, result.output)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], (command, result.output)
    assert "Traceback" not in result.output
    assert _digest(db) == before, command
    assert not db.with_name(db.name + ".wal").exists()


def _foreign(tmp_path: Path) -> Path:
    db = tmp_path / "accounts.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE invoices AS SELECT range AS id FROM range(10)")
    return db


@pytest.mark.parametrize("command", READERS + WRITERS, ids=lambda c: c[0])
def test_a_foreign_duckdb_file_is_refused_untouched(command: list[str], tmp_path: Path) -> None:
    db = _foreign(tmp_path)
    _refused(db, command, "not a terskel store")
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    assert tables == [("invoices",)]  # no schema_version crept in


def test_a_foreign_file_with_a_schema_version_table_is_still_foreign(tmp_path: Path) -> None:
    db = tmp_path / "app.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (3)"
        )
        con.execute("CREATE TABLE users (id INTEGER)")
    for command in (["activities"], WRITERS[0]):
        _refused(db, command, "not a terskel store")


def test_a_file_that_is_not_duckdb_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "notes.duckdb"
    db.write_text("shopping list\n" * 100)
    for command in (["status"], WRITERS[0]):
        _refused(db, command, "not a DuckDB file, or damaged")


def test_an_empty_duckdb_file_is_no_store_to_read(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    _refused(db, ["activities"], "an empty DuckDB file, not a terskel store yet")
    result = runner.invoke(app, ["--db", str(db), *WRITERS[0]])  # nothing to lose: becomes one
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("fraction", [0.002, 0.05, 0.3, 0.6, 0.95])
def test_a_truncated_store_is_refused(fraction: float, real_store: Path, tmp_path: Path) -> None:
    data = real_store.read_bytes()
    db = tmp_path / "cut.duckdb"
    db.write_bytes(data[: int(len(data) * fraction)])
    for command in [*READERS, *WRITERS]:
        before = _digest(db)
        result = runner.invoke(app, ["--db", str(db), "--lock-wait", "0", *command])
        assert result.exit_code == 2, (command, result.output)
        line = result.output.strip()
        assert "\n" not in line and ("truncated" in line or "damaged" in line), line
        assert _digest(db) == before


def _with_version(real_store: Path, tmp_path: Path, version: int) -> Path:
    db = tmp_path / "versioned.duckdb"
    shutil.copy(real_store, db)
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM schema_version WHERE version > ?", [version])
        con.execute(
            "INSERT INTO schema_version (version) SELECT ? WHERE ? > ?",
            [version, version, latest_version()],
        )
    return db


@pytest.mark.parametrize("command", READERS + WRITERS, ids=lambda c: c[0])
def test_a_newer_schema_is_refused(command: list[str], real_store: Path, tmp_path: Path) -> None:
    db = _with_version(real_store, tmp_path, latest_version() + 1)
    _refused(db, command, f"written by a newer terskel (schema v{latest_version() + 1}")


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_an_older_schema_is_not_migrated_by_a_reader(
    command: list[str], real_store: Path, tmp_path: Path
) -> None:
    db = _with_version(real_store, tmp_path, latest_version() - 1)
    _refused(db, command, "run a writing command once")


def test_store_open_refuses_the_same_in_code(real_store: Path, tmp_path: Path) -> None:
    db = _foreign(tmp_path)
    for read_only in (True, False):
        with pytest.raises(StoreError, match="not a terskel store"):
            Store.open(db, read_only=read_only)
    with Store.open(real_store, read_only=True) as store:
        assert store.schema_version() == latest_version()


def test_export_onto_a_file_or_a_foreign_folder_is_refused(
    real_store: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out.parquet"
    target.write_bytes(b"keep me")
    result = runner.invoke(app, ["--db", str(real_store), "export", "--parquet", str(target)])
    assert result.exit_code == 2 and "exists and is not a folder" in result.output
    assert len(result.output.strip().splitlines()) == 1 and target.read_bytes() == b"keep me"
    folder = tmp_path / "home"
    folder.mkdir()
    (folder / "thesis.tex").write_text("years of work")
    result = runner.invoke(app, ["--db", str(real_store), "export", "--parquet", str(folder)])
    assert result.exit_code == 2 and "holds other files (thesis.tex)" in result.output
    assert [p.name for p in folder.iterdir()] == ["thesis.tex"]


def test_export_into_an_earlier_export_replaces_its_tables(
    real_store: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    args = ["--db", str(real_store), "export", "--parquet", str(folder)]
    assert runner.invoke(app, args).exit_code == 0
    stale = folder / "activities" / "athlete_id=me" / "year=1999"
    stale.mkdir()
    (stale / "old.parquet").write_bytes(b"stale")
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert not stale.exists()
    activities = pl.read_parquet(folder / "activities" / "**" / "*.parquet", hive_partitioning=True)
    with Store.open(real_store, read_only=True) as store:
        assert activities.height == store.table_counts()["activities"]
