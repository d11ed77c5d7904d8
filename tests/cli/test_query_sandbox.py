"""`terskel query` as an attacker would use it: every attack is refused in one line (exit 2)
and neither the store nor any other file changes by a byte."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from terskel.cli import app
from terskel.jobs.ingest import import_paths
from terskel.store import Store, StoreError
from terskel.store.sandbox import QueryRefused, check_statement
from tests.conftest import DEMO_DATA

runner = CliRunner()


@dataclass(frozen=True)
class Target:
    """A real store and, beside it, other files an attack could reach."""

    store: Path
    other_db: Path
    other_csv: Path
    other_parquet: Path

    def files(self) -> list[Path]:
        return [self.store, self.other_db, self.other_csv, self.other_parquet]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Target:
    folder = tmp_path_factory.mktemp("sandbox")
    store = folder / "store.duckdb"
    with Store.open(store) as opened:
        import_paths(opened, [DEMO_DATA])
    other_db = folder / "other.duckdb"
    with duckdb.connect(str(other_db)) as con:
        con.execute("CREATE TABLE t AS SELECT range AS x FROM range(5)")
    other_csv = folder / "other.csv"
    other_csv.write_text("secret\n42\n", encoding="utf-8")
    other_parquet = folder / "other.parquet"
    pl.DataFrame({"secret": [42]}).write_parquet(other_parquet)
    return Target(store, other_db, other_csv, other_parquet)


def _hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under the folder, the store's raw folder too (a new file
    counts as a change)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _attacks(t: Target) -> dict[str, str]:
    store, db, csv, parquet = (str(p) for p in t.files())
    folder = t.store.parent
    return {
        "copy-onto-store": f"COPY (SELECT 'x') TO '{store}'",
        "attach-then-delete": f"ATTACH '{db}' AS o (READ_ONLY false); DELETE FROM o.t",
        "attach": f"ATTACH '{db}' AS o (READ_ONLY false)",
        "detach": "DETACH store",
        "copy-out": f"COPY activities TO '{folder / 'stolen.csv'}'",
        "copy-in": f"COPY activities FROM '{csv}'",
        "export": f"EXPORT DATABASE '{folder / 'exported'}'",
        "read-text": "SELECT * FROM read_text('/etc/passwd')",
        "glob": "SELECT * FROM glob('/*')",
        "glob-here": f"SELECT * FROM glob('{folder}/*')",
        "read-csv": f"SELECT * FROM read_csv('{csv}')",
        "read-parquet": f"SELECT * FROM read_parquet('{parquet}')",
        "scan-by-name": f"SELECT * FROM '{parquet}'",
        "read-blob": f"SELECT * FROM read_blob('{db}')",
        "read-json": "SELECT * FROM read_json('/etc/hosts')",
        "parquet-metadata": f"SELECT * FROM parquet_metadata('{parquet}')",
        "sniff-csv": f"SELECT * FROM sniff_csv('{csv}')",
        "url": "SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')",
        "set": "SET enable_external_access = true",
        "set-threads": "SET threads = 1",
        "reset": "RESET lock_configuration",
        "pragma": "PRAGMA enable_profiling",
        "call": "CALL pragma_version()",
        "install": "INSTALL httpfs",
        "load": "LOAD json",
        "two-selects": "SELECT 1; SELECT 2",
        "select-then-delete": "SELECT 1; DELETE FROM samples",
        "explain-analyze": f"EXPLAIN ANALYZE COPY activities TO '{folder / 'stolen.csv'}'",
        "delete": "DELETE FROM samples",
        "update": "UPDATE activities SET distance_m = 0",
        "insert": "INSERT INTO import_log (athlete_id, path, status) VALUES ('me', 'x', 'ok')",
        "drop": "DROP TABLE samples",
        "create": "CREATE TABLE x AS SELECT 1",
        "checkpoint": "FORCE CHECKPOINT",
        "sequence": "SELECT nextval('activity_id_seq')",
        "nothing": "/* only a comment */",
    }


ATTACKS = sorted(_attacks(Target(Path("s"), Path("d"), Path("c"), Path("p"))))


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_is_refused_and_nothing_changes(name: str, target: Target) -> None:
    sql = _attacks(target)[name]
    before = _hashes(target.store.parent)
    with Store.open(target.store, read_only=True) as store:
        counts = store.table_counts()
    result = runner.invoke(app, ["--db", str(target.store), "query", sql])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: query "), result.output
    assert "Traceback" not in result.output
    assert _hashes(target.store.parent) == before
    with Store.open(target.store, read_only=True) as store:
        assert store.table_counts() == counts


def test_refusals_name_the_reason(target: Target) -> None:
    attacks = _attacks(target)
    said = {
        name: runner.invoke(app, ["--db", str(target.store), "query", attacks[name]]).output
        for name in ("copy-onto-store", "attach-then-delete", "read-text", "set")
    }
    assert "COPY statements do not run here" in said["copy-onto-store"]
    assert "one statement only, found 2" in said["attach-then-delete"]
    assert "reaches outside the store" in said["read-text"]
    assert "/etc/passwd" in said["read-text"]
    assert "SET statements do not run here" in said["set"]


def test_reads_still_work_in_the_sandbox(target: Target) -> None:
    for sql in (
        "SELECT count(*) AS n FROM activities",
        "WITH a AS (SELECT * FROM activities) SELECT count(*) AS n FROM a",
        "DESCRIBE activities",
        "SHOW TABLES",
        "FROM v_activities SELECT count(*) AS n",
    ):
        result = runner.invoke(app, ["--db", str(target.store), "query", sql, "--format", "csv"])
        assert result.exit_code == 0, (sql, result.output)
    with Store.open(target.store, read_only=True) as store:
        stored = store.table_counts()["activities"]
    sql = "SELECT count(*) AS n FROM activities;"
    count = runner.invoke(app, ["--db", str(target.store), "query", sql, "--format", "json"])
    assert count.exit_code == 0 and json.loads(count.stdout) == [{"n": stored}]


def test_settings_are_locked_before_the_sql_runs(target: Target) -> None:
    with Store.open(target.store, read_only=True) as store:
        frame = store.query(
            "SELECT current_setting('enable_external_access') AS ext, "
            "current_setting('lock_configuration') AS locked",
            {},
        )
        assert frame.row(0) == (False, True)
        with pytest.raises(StoreError, match="reaches outside the store"):
            store.query("SELECT * FROM query('SELECT * FROM read_text(''/etc/hostname'')')", {})


@pytest.mark.parametrize(
    ("sql", "kind"),
    [("EXPLAIN SELECT 1", "EXPLAIN"), ("VACUUM", "VACUUM"), ("PIVOT t ON x", "MULTI")],
)
def test_statement_types_come_from_duckdbs_parser(sql: str, kind: str) -> None:
    with pytest.raises(QueryRefused, match=f"{kind} statements do not run here"):
        check_statement(duckdb.connect(), sql)
