"""Weekly reports from a store: read the rows a week needs, hand them to `reports.weekly`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

from terskel.config import Settings
from terskel.models import Template, load_template
from terskel.reports.week_data import ZONE_MODEL
from terskel.reports.weekly import (
    TREND_WEEKS,
    WeekData,
    WeekReport,
    WeekRow,
    all_outings,
    build_trend,
    build_week,
    default_week,
    span,
)
from terskel.store import Store

if TYPE_CHECKING:
    from terskel.reports.trace import Trace

# Weeks read before the reported one: the flatness and polarity windows, and the weeks
# that warm up the 42-day fitness curve (two time constants: within 14 % of settled).
LOOKBACK_WEEKS = 4
WARMUP_WEEKS = 12


def template_of(settings: Settings) -> Template:
    """The template chosen in `[report]`, with its overrides (TemplateError when invalid)."""
    report = settings.report
    return load_template(report.template, report.overrides, report.templates)


def week_data(store: Store, first: dt.date, last: dt.date) -> WeekData:
    """Every row the report reads for activities with a local date in [first, last]."""
    activities = store.report_activities(first, last)
    ids = [int(row["activity_id"]) for row in activities]
    return WeekData.of(
        activities=activities,
        sessions=store.report_rows("sessions", ids),
        zone_time=store.report_zone_time(ids, ZONE_MODEL),
        reps=store.report_reps(ids),
        lactate=store.report_rows("lactate", ids),
        structures=store.report_rows("structures", ids),  # `confidence` in newer stores
    )


def week_traces(store: Store, report: WeekReport) -> dict[int, Trace]:
    """Per running outing of the week, its samples as a trace (for the HTML session pages)."""
    from terskel.reports.trace import session_trace

    ids = [aid for outing in report.running for aid in outing.activity_ids]
    if not ids:
        return {}
    samples = store.samples(ids).collect()
    return {o.outing_id: session_trace(o, samples) for o in report.running}


def pick_week(store: Store, week: str | None, today: dt.date | None = None) -> str:
    """The asked week, else the last complete one with data."""
    return week or default_week(store.latest_local_start(), today or dt.date.today())


def weekly_report(
    store: Store, settings: Settings, week: str, trend: bool = True
) -> tuple[WeekReport, list[WeekRow]]:
    """One week against the configured template, plus the 12-week trend ending with it
    (`trend=False`: no trend, which only the HTML shows; the week's scale still reads
    the 12 weeks before it)."""
    template = template_of(settings)
    target = settings.athlete.target_weekly_km
    data = week_data(store, *span(week, TREND_WEEKS + LOOKBACK_WEEKS + WARMUP_WEEKS))
    outings = all_outings(data)
    report = build_week(data, week, template, target, outings)
    return report, build_trend(data, week, TREND_WEEKS, template, target, outings) if trend else []


def weekly_trend(store: Store, settings: Settings, week: str, count: int) -> list[WeekRow]:
    """`count` weeks ending with `week`, one row each."""
    template = template_of(settings)
    data = week_data(store, *span(week, count + LOOKBACK_WEEKS + WARMUP_WEEKS))
    return build_trend(data, week, count, template, settings.athlete.target_weekly_km)


def write_latest_report(store: Store, settings: Settings, folder: Path) -> list[Path]:
    """The last complete week as HTML and JSON in `folder` (also as latest.html/.json)."""
    from terskel.reports.weekly_html import week_html
    from terskel.reports.weekly_render import week_json

    week = pick_week(store, None)
    report, trend = weekly_report(store, settings, week)
    folder.mkdir(parents=True, exist_ok=True)
    html = week_html(report, trend, week_traces(store, report))
    doc = json.dumps(week_json(report), indent=2) + "\n"
    written = []
    for name, text in ((week, html), ("latest", html)):
        written.append(_write_atomic(folder / f"{name}.html", text))
    for name in (week, "latest"):
        written.append(_write_atomic(folder / f"{name}.json", doc))
    return written


def _write_atomic(path: Path, text: str) -> Path:
    """Write via a temporary file, so a reader never sees half a report."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return path
