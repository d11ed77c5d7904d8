"""The HTML report laid out by headless Chromium at 1280 and 390 px (skipped without it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from terskel.cli import app
from terskel.jobs.analyze import analyze
from terskel.jobs.demo import assemble_weeks, demo_folders
from terskel.jobs.ingest import import_paths
from terskel.store import Store
from tests.conftest import shared_path
from tests.reports.browser import chromium, probe_page

runner = CliRunner()
WEEK = "2026-W12"
TREND_CHARTS = {"Weekly volume", "Threshold dose per week", "Time in zone per week",
                "Fitness, fatigue and form", "Distance per day by zone"}  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> str:
    binary = chromium()
    if binary is None:
        pytest.skip("chromium not installed (.ci/run installs it in CI)")
    return binary


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled real runs assembled into 2026-W11/W12 and analysed."""
    path = tmp_path_factory.mktemp("html") / "demo.duckdb"
    with Store.open(path) as store:
        import_paths(store, demo_folders(), workers=1)
        assemble_weeks(store, WEEK)
        analyze(store)
    return path


def _report(db: Path, week: str, tmp: Path) -> tuple[str, dict[str, Any]]:
    """The week's HTML and its JSON document, through the CLI."""
    page = tmp / "week.html"
    for fmt, out in (("html", page), ("json", tmp / "week.json")):
        result = runner.invoke(app, ["--db", str(db), "report", "week", "--week", week,
                                     "--format", fmt, "--out", str(out)])  # fmt: skip
        assert result.exit_code == 0, result.output
    return page.read_text(), json.loads((tmp / "week.json").read_text())


def _assert_page(binary: str, html: str, doc: dict[str, Any], tmp: Path) -> None:
    runs = [s for s in doc["sessions"] if s["sport"] == "running"]
    wanted = {f"session-{s['id']}" for s in runs}
    for width in (1280, 390):
        page = probe_page(binary, html, width, tmp)
        assert page["viewport"]
        assert page["scrollWidth"] <= width, (width, page["wide"])
        assert page["wide"] == [], page["wide"]  # nothing sticks out (tables scroll in place)
        assert set(page["chartTitles"]) >= TREND_CHARTS
        assert set(page["sessions"]) == wanted
        assert {link.removeprefix("#") for link in page["links"]} == wanted
        # every run has its pace and heart-rate trace
        assert page["chartTitles"].count("Pace") == len(runs)
        assert page["chartTitles"].count("Heart rate") == len(runs)
    assert page["width"] == 390 and page["minChartFontPx"] >= 11  # readable on a phone


def test_demo_week_in_chromium(browser: str, demo_db: Path, tmp_path: Path) -> None:
    html, doc = _report(demo_db, WEEK, tmp_path)
    _assert_page(browser, html, doc, tmp_path)


@pytest.mark.slow
def test_real_history_week_in_chromium(browser: str, tmp_path: Path) -> None:
    """A real runner's analysed week (coros-road-runner in ../shared), with threshold work."""
    folder = shared_path("history/coros-road-runner")
    db = tmp_path / "history.duckdb"
    with Store.open(db) as store:
        import_paths(store, [folder])
        analyze(store)
        weeks = store.query(
            "SELECT iso_week, count(*) FILTER (session_type = 'threshold') AS thr, count(*) AS n "
            "FROM sessions GROUP BY 1 ORDER BY thr DESC, n DESC, iso_week LIMIT 1",
            {},
        )
    week = weeks["iso_week"][0]
    html, doc = _report(db, week, tmp_path)
    assert any(s["type"] == "threshold" for s in doc["sessions"])
    _assert_page(browser, html, doc, tmp_path)
