"""`terskel report week|weeks`: each week measured against the threshold-model template."""

from __future__ import annotations

import io
import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from terskel.cli.common import app, err, fail, open_store, out, print_at, term_width

if TYPE_CHECKING:
    from rich.console import RenderableType

FILE_WIDTH = 160  # text written with --out
report_app = typer.Typer(
    help="Weekly compliance against the threshold model.", no_args_is_help=True
)
app.add_typer(report_app, name="report")


class WeekFormat(StrEnum):
    """Output formats of `report week`."""

    text = "text"
    md = "md"
    html = "html"
    json = "json"


WeekOption = Annotated[
    str | None,
    typer.Option("--week", help="ISO week, e.g. 2026-W47 (default: the last complete week)."),
]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Write to this file instead of the terminal.")
]


@report_app.command("week")
def report_week(
    ctx: typer.Context,
    week: WeekOption = None,
    fmt: Annotated[WeekFormat, typer.Option("--format", help="Output format.")] = WeekFormat.text,
    out_file: OutOption = None,
) -> None:
    """One week: the day-by-day sessions, then every check with value, target and why."""
    # heavy modules load here, not at start-up (every command pays for module-level imports)
    from terskel.jobs.reporting import pick_week, week_traces, weekly_report
    from terskel.models import TemplateError
    from terskel.reports.weekly_render import week_json, week_markdown, week_renderable

    with open_store(ctx, read_only=True) as (store, settings):
        chosen = pick_week(store, _parsed(week))
        try:
            report, trend = weekly_report(store, settings, chosen, fmt is WeekFormat.html)
        except TemplateError as exc:
            fail(str(exc))
        traces = week_traces(store, report) if fmt is WeekFormat.html else {}
    if not report.outings:
        err.print(
            f"[yellow]warning[/yellow] no activities in {chosen}: check the week", highlight=False
        )
    if fmt is WeekFormat.text:
        width = term_width(ctx) if out_file is None else FILE_WIDTH
        _emit(week_renderable(report, width), out_file, width)
    elif fmt is WeekFormat.md:
        _write(week_markdown(report), out_file)
    elif fmt is WeekFormat.json:
        _write(json.dumps(week_json(report), indent=2) + "\n", out_file)
    else:
        from terskel.reports.weekly_html import week_html

        _write(week_html(report, trend, traces), out_file)


@report_app.command("weeks")
def report_weeks(
    ctx: typer.Context,
    last: Annotated[int, typer.Option("--last", min=1, max=520, help="How many weeks.")] = 12,
    week: WeekOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """The trend: one row per week (volume, threshold sessions, dose, long run, checks)."""
    from terskel.jobs.reporting import pick_week, weekly_trend
    from terskel.models import TemplateError
    from terskel.reports.weekly_render import trend_json, trend_table

    with open_store(ctx, read_only=True) as (store, settings):
        chosen = pick_week(store, _parsed(week))
        try:
            rows = weekly_trend(store, settings, chosen, last)
        except TemplateError as exc:
            fail(str(exc))
        name = settings.report.template
    if as_json:
        print(json.dumps(trend_json(rows), indent=2))
    else:
        width = term_width(ctx)
        print_at(trend_table(rows, name, width), width)


def _parsed(week: str | None) -> str | None:
    from terskel.reports.weekly import parse_week

    try:
        return parse_week(week) if week else None
    except ValueError as exc:
        fail(str(exc))


def _emit(renderable: RenderableType, out_file: Path | None, width: int) -> None:
    """Print to the terminal, or save as plain text."""
    from rich.console import Console

    if out_file is None:
        print_at(renderable, width)
        return
    console = Console(record=True, width=FILE_WIDTH, file=io.StringIO())
    console.print(renderable)
    _write(console.export_text(), out_file)


def _write(text: str, out_file: Path | None) -> None:
    if out_file is None:
        print(text, end="")
        return
    try:
        out_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{out_file}: cannot write ({exc.strerror})")
    out.print(f"wrote {out_file}")
