"""The weekly report as terminal renderables and Markdown (the JSON shape: `weekly_json`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from terskel.reports.check_base import Check
from terskel.reports.format import duration, pace
from terskel.reports.load import session_load
from terskel.reports.outing import ZONES, Outing
from terskel.reports.weekly import WeekReport, WeekRow
from terskel.reports.weekly_json import trend_json as trend_json  # re-exported for the CLI
from terskel.reports.weekly_json import week_json as week_json  # re-exported for the CLI

STATUS_STYLE = {
    "ok": "bold green",
    "near": "bold yellow",
    "off": "bold red",
    "unknown": "bold magenta",
    "n/a": "dim",
}
STATUS_MARK = {"ok": "✓", "near": "~", "off": "✗", "unknown": "?", "n/a": "-"}


# -- terminal ------------------------------------------------------------------


# No edges, so the tables fit an 80-column terminal (rich crops a table it cannot fit).
COMPACT: dict[str, Any] = {"box": box.SIMPLE_HEAD, "show_edge": False, "pad_edge": False}


# Below this many columns the checks print as blocks (the why on its own lines);
# from here on as one table row each, the why in a column of its own.
WIDE = 120
ZONE_STYLE = {"I1": "#9ecae1", "I2": "#4292c6", "I3": "#41ab5d", "I4": "#fd8d3c", "I5": "#d7301f"}


def week_renderable(report: WeekReport, width: int = 80) -> Group:
    """Header, the day-by-day sessions, then the checks with coloured status, for `width`."""
    return Group(_header(report), days_table(report, width), checks_renderable(report, width))


def _header(report: WeekReport) -> Text:
    last = report.first_day + dt.timedelta(days=6)
    counts = report.counts()
    text = Text()
    text.append(f"Week {report.week}", style="bold")
    text.append(f"  {report.first_day:%a %d %b} - {last:%a %d %b %Y}\n")
    text.append(f"Template {report.template.name}: {report.scale.text}\n", style="dim")
    for status in ("ok", "near", "off", "unknown"):
        text.append(f"{STATUS_MARK[status]} {counts[status]} {status}  ", STATUS_STYLE[status])
    return text


def days_table(report: WeekReport, width: int = 80) -> Table:
    """Monday to Sunday: every session with its label, numbers and zones."""
    wide = width >= WIDE
    # one space between columns at 80: nine columns fit only that way
    table = Table(title="Sessions", title_justify="left", **COMPACT, padding=(0, 1 if wide else 0))
    names = ["day", "start", "session", "type", "km", "time", "pace", "dose"]
    names += ["load", "zones", *ZONES] if wide else ["zones"]
    for name in names:
        table.add_column(
            name,
            justify="right" if name in ("km", "time", "dose", "load", *ZONES) else "left",
            # numbers never wrap or get cut; the label and type wrap at spaces
            no_wrap=name not in ("session", "type"),
            min_width={"session": 11}.get(name),
            overflow="fold",
        )
    for offset in range(7):
        day = report.first_day + dt.timedelta(days=offset)
        outings = [o for o in report.outings if o.local_date == day]
        if not outings:
            table.add_row(f"{day:%a %d}", "", Text("rest", style="dim"), *[""] * (len(names) - 3))
        for i, outing in enumerate(outings):
            table.add_row(f"{day:%a %d}" if i == 0 else "", *_day_cells(outing, wide))
    return table


def _day_cells(outing: Outing, wide: bool = False) -> list[str | Text]:
    kind = outing.session_type or ("not analysed" if outing.running else outing.sport)
    style = {"threshold": "bold cyan", "x_element": "bold magenta", "vo2": "bold red"}.get(kind, "")
    cells: list[str | Text] = [
        f"{outing.start_local:%H:%M}",
        Text(outing.label, style=style),
        kind if outing.running else outing.sport,
        f"{outing.distance_m / 1000:.1f}",
        duration(outing.moving_s),
        pace(outing.distance_m, outing.moving_s) if outing.running else "",
        f"{outing.threshold_s / 60:.0f}" if outing.threshold_s else "",
    ]
    if wide:
        shares = zone_shares(outing.zones)
        cells += [f"{session_load(outing)[0]:.0f}", zone_bar_text(outing.zones)]
        cells += [f"{shares[z]:.0f}" if shares.get(z) else "" for z in ZONES]
    else:
        cells.append(zone_bar_text(outing.zones))
    return cells


def zone_shares(zones: dict[str, float]) -> dict[str, float]:
    """% of zone time per zone (empty without zones)."""
    total = sum(zones.get(z, 0) for z in ZONES)
    return {z: zones.get(z, 0) / total * 100 for z in ZONES} if total else {}


def zone_bar_text(zones: dict[str, float], cells: int = 10) -> Text:
    """A bar of `cells` characters coloured by zone share, then the zones reached ('I1-I4')."""
    shares = zone_shares(zones)
    text = Text()
    if not shares:
        return text
    counts = _cells(shares, cells)
    for zone in ZONES:
        text.append("█" * counts[zone], style=ZONE_STYLE[zone])
    low = min((z for z in ZONES if shares[z] >= 1), default="I1")
    top = max((z for z in ZONES if shares[z] >= 1), default="I1")
    text.append(f" {low}-{top}" if low != top else f" {low}", style="dim")
    return text


def _cells(shares: dict[str, float], cells: int) -> dict[str, int]:
    """Whole cells per zone summing to `cells` (largest remainders), any zone >= 1 % shown."""
    raw = {z: shares[z] / 100 * cells for z in ZONES}
    counts = {z: int(raw[z]) for z in ZONES}
    for zone in sorted(ZONES, key=lambda z: raw[z] - counts[z], reverse=True):
        if sum(counts.values()) >= cells:
            break
        counts[zone] += 1
    return counts


def zones_text(zones: dict[str, float]) -> str:
    """'I1 70 I2 25 I3 5' (% of zone time), or '' without zones."""
    total = sum(zones.get(z, 0) for z in ZONES)
    if not total:
        return ""
    parts = [f"{z} {zones[z] / total * 100:.0f}" for z in ZONES if zones.get(z, 0) / total >= 0.01]
    return " ".join(parts) + " %"


def checks_renderable(report: WeekReport, width: int = 80) -> RenderableType:
    """The checks as a table when wide, else one block each with the why below, full width."""
    if width >= WIDE:
        return checks_table(report)
    parts: list[RenderableType] = [Text("Checks", style="italic")]
    title_w = max(len(c.title) for c in report.checks)
    value_w = max(len(value_text(c) or "-") for c in report.checks)
    for check in report.checks:
        line = Text()
        mark = f"{STATUS_MARK[check.status]} {check.status}"
        line.append(f"{mark:<10}", STATUS_STYLE[check.status])
        line.append(f"{check.title:<{title_w}}  ", style="bold")
        line.append(f"{value_text(check) or '-':>{value_w}}  target {check.target}")
        why = Text(check.reason, style="dim" if check.status == "n/a" else "")
        parts += [line, Padding(why, (0, 0, 0, 10))]
    return Group(*parts)


def checks_table(report: WeekReport) -> Table:
    """Each check: status, value, target, why."""
    table = Table(title="Checks", title_justify="left", **COMPACT)
    for name in ("", "check", "value", "target"):
        table.add_column(name, justify="right" if name == "value" else "left", no_wrap=True)
    table.add_column("why", ratio=1)
    for check in report.checks:
        style = STATUS_STYLE[check.status]
        table.add_row(
            Text(f"{STATUS_MARK[check.status]} {check.status}", style=style),
            check.title,
            value_text(check),
            check.target,
            Text(check.reason, style="dim" if check.status == "n/a" else ""),
        )
    return table


def value_text(check: Check) -> str:
    """A check's value with its unit ('' when unknown)."""
    if check.value is None:
        return ""
    if not check.unit:
        return f"{check.value:.0f}"
    digits = 1 if check.unit == "km" or (check.unit == "%" and abs(check.value) < 10) else 0
    return f"{check.value:.{digits}f} {check.unit}"


def trend_table(rows: list[WeekRow], template: str, width: int = 80) -> Table:
    """One row per week: volume, sessions, dose, long run, load and form, the check summary."""
    wide = width >= WIDE
    # one space between columns when narrow (the box's separator), as in the days table
    table = Table(title=f"Weeks against {template}", title_justify="left", **COMPACT,
                  padding=(0, 1 if wide else 0))  # fmt: skip
    names = ["week", "km", "time", "runs", "thr", "doubles", "dose", "long km", "load", "form"]
    if wide:
        names += ["fitness", "fatigue", "zones"]
    for name in names:
        table.add_column(name, justify="left" if name in ("week", "zones") else "right",
                         no_wrap=True)  # fmt: skip
    table.add_column("checks", no_wrap=True)
    for row in rows:
        cells: list[str | Text] = [
            row.week,
            f"{row.distance_km:.1f}",
            duration(row.moving_s),
            str(row.runs),
            str(row.threshold_sessions),
            str(row.double_days),
            "" if row.dose_min is None else f"{row.dose_min:.0f}",
            f"{row.longest_km:.1f}",
            f"{row.load:.0f}",
            "" if row.form is None else f"{row.form:+.0f}",
        ]
        if wide:
            cells += [_opt0(row.fitness), _opt0(row.fatigue), zone_bar_text(row.zones_s, 16)]
        table.add_row(*cells, _summary_text(row.counts))
    return table


def _opt0(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def _summary_text(counts: dict[str, int]) -> Text:
    text = Text()
    for status in ("ok", "near", "off", "unknown"):
        if counts.get(status):
            text.append(f"{STATUS_MARK[status]}{counts[status]} ", STATUS_STYLE[status])
    return text


# -- Markdown ------------------------------------------------------------------


def week_markdown(report: WeekReport) -> str:
    """The week as Markdown: header, sessions table, checks table."""
    last = report.first_day + dt.timedelta(days=6)
    counts = report.counts()
    lines = [
        f"# Week {report.week} ({report.first_day:%a %d %b} - {last:%a %d %b %Y})",
        "",
        f"Template **{report.template.name}**: {report.scale.text}.",
        "",
        " · ".join(f"{counts[s]} {s}" for s in ("ok", "near", "off", "unknown")),
        "",
        "## Sessions",
        "",
        "| day | start | session | type | km | time | pace | threshold min | zones |",
        "|---|---|---|---|---:|---:|---:|---:|---|",
    ]
    for offset in range(7):
        day = report.first_day + dt.timedelta(days=offset)
        outings = [o for o in report.outings if o.local_date == day]
        if not outings:
            lines.append(f"| {day:%a %d} | | rest | | | | | | |")
        for i, outing in enumerate(outings):
            cells = [str(c) for c in _day_cells(outing)[:-1]] + [zones_text(outing.zones)]
            first = f"{day:%a %d}" if i == 0 else ""
            lines.append(f"| {first} | " + " | ".join(_md(c) for c in cells) + " |")
    lines += ["", "## Checks", "", "| status | check | value | target | why |"]
    lines.append("|---|---|---:|---|---|")
    for check in report.checks:
        mark = f"{STATUS_MARK[check.status]} {check.status}"
        row = [mark, check.title, value_text(check), check.target, check.reason]
        lines.append("| " + " | ".join(_md(c) for c in row) + " |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")
