"""Shared fixtures: real FIT files, a real DuckDB store in tmp_path."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session", autouse=True)
def cli_output_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Records of `--help` (cli/replay.py) go to a temporary folder, not the user's cache."""
    before = os.environ.get("TERSKEL_CACHE_DIR")
    os.environ["TERSKEL_CACHE_DIR"] = str(tmp_path_factory.mktemp("cli-output"))
    yield
    if before is None:
        del os.environ["TERSKEL_CACHE_DIR"]
    else:
        os.environ["TERSKEL_CACHE_DIR"] = before
