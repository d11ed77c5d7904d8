"""The views are re-created on a writable open when missing or changed, and only then."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from terskel.store import Store, views


def _sql_of(db: Path, name: str) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = ?", [name])
        return str(rows.fetchall()[0][0])


def test_a_dropped_or_changed_view_comes_back_on_the_next_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "s.duckdb"
    Store.open(db).close()
    with duckdb.connect(str(db)) as con:
        con.execute("DROP VIEW v_weeks")
    Store.open(db).close()
    assert "iso_week" in _sql_of(db, "v_weeks")
    changed = dict(views.VIEWS, v_weeks="SELECT 42 AS answer")
    monkeypatch.setattr(views, "VIEWS", changed)
    Store.open(db).close()
    assert "42" in _sql_of(db, "v_weeks")


def test_an_open_of_an_unchanged_store_writes_no_view(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    Store.open(db).close()
    with Store.open(db) as store:
        store.con.execute("PRAGMA disable_checkpoint_on_shutdown")
        # nothing committed by the open: no WAL to fold
        assert not db.with_name(db.name + ".wal").exists()
