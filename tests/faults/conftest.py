"""Fixtures of the fault-injection suite: reference stores built once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from terskel.analyze import analyze
from terskel.ingest import import_paths
from terskel.store import Store
from tests.conftest import DEMO_DATA
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
