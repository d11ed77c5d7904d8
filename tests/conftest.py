"""Shared fixtures: real FIT files, a real DuckDB store in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from terskel.store import Store

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "tests" / "data"
DEMO_DATA = ROOT / "src" / "terskel" / "data" / "demo"
SHARED = ROOT.parent / "shared" / "data"


def shared_path(relative: str) -> Path:
    """A file under ../shared/data; skips the test when the folder is absent."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store file in tmp_path."""
    with Store.open(tmp_path / "store.duckdb") as opened:
        yield opened
