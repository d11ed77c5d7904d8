"""The weekly report as one self-contained HTML file (inline CSS and SVG, no network)."""

from __future__ import annotations

import datetime as dt
from html import escape

from terskel.reports.charts import day_zone_chart, reps_chart, svg, trend_chart
from terskel.reports.format import duration, pace
from terskel.reports.weekly import Outing, WeekReport, WeekRow
from terskel.reports.weekly_render import STATUS_MARK, value_text, zones_text

CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;
 margin:0;background:#f5f6f8}
main{max-width:1100px;margin:0 auto;padding:24px 28px;background:#fff}
h1{font-size:24px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;
 padding-bottom:4px}
.sub{color:#666;margin:0 0 12px}
.pills span{display:inline-block;padding:3px 10px;border-radius:12px;margin-right:6px;
 font-weight:600;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#fafafa;font-weight:600} td.n{text-align:right;white-space:nowrap}
tr.rest td{color:#aaa}
.ok{background:#e3f4e6;color:#1b7a31}.near{background:#fff4d6;color:#946200}
.off{background:#fde4e1;color:#b3261e}.unknown{background:#efe6fa;color:#6a3fa0}
.na{background:#eee;color:#777}
td.status{font-weight:700;white-space:nowrap;border-radius:4px}
.type-threshold{color:#08519c;font-weight:600}.type-x_element,.type-vo2{color:#b3261e;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:18px}
.charts svg{max-width:100%;height:auto}
footer{color:#888;font-size:12px;margin-top:28px}
"""


def week_html(report: WeekReport, trend: list[WeekRow]) -> str:
    """The whole page: header, checks, sessions, charts (SVG inline)."""
    last = report.first_day + dt.timedelta(days=6)
    parts = [
        f"<h1>Week {report.week}</h1>",
        f'<p class="sub">{report.first_day:%a %d %b} - {last:%a %d %b %Y} · template '
        f"<b>{escape(report.template.name)}</b>, {escape(report.scale.text)}</p>",
        _pills(report),
        "<h2>Checks</h2>",
        _checks(report),
        "<h2>Sessions</h2>",
        _sessions(report),
        "<h2>Charts</h2>",
        _charts(report, trend),
    ]
    body = "\n".join(parts)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>terskel · week {report.week}</title><style>{CSS}</style></head>"
        f"<body><main>{body}<footer>terskel weekly report · {escape(report.template.description)}"
        "</footer></main></body></html>\n"
    )


def _pills(report: WeekReport) -> str:
    counts = report.counts()
    pills = "".join(
        f'<span class="{_cls(s)}">{STATUS_MARK[s]} {counts[s]} {s}</span>'
        for s in ("ok", "near", "off", "unknown")
    )
    return f'<p class="pills">{pills}</p>'


def _checks(report: WeekReport) -> str:
    rows = "".join(
        f'<tr><td class="status {_cls(c.status)}">{STATUS_MARK[c.status]} {c.status}</td>'
        f"<td>{escape(c.title)}</td><td class='n'>{escape(value_text(c))}</td>"
        f"<td class='n'>{escape(c.target)}</td><td>{escape(c.reason)}</td></tr>"
        for c in report.checks
    )
    head = "<tr><th>status</th><th>check</th><th>value</th><th>target</th><th>why</th></tr>"
    return f"<table>{head}{rows}</table>"


def _sessions(report: WeekReport) -> str:
    head = (
        "<tr><th>day</th><th>start</th><th>session</th><th>type</th><th>km</th><th>time</th>"
        "<th>pace</th><th>threshold min</th><th>zones</th></tr>"
    )
    rows = []
    for offset in range(7):
        day = report.first_day + dt.timedelta(days=offset)
        outings = [o for o in report.outings if o.local_date == day]
        if not outings:
            rows.append(
                f'<tr class="rest"><td>{day:%a %d}</td><td></td><td>rest</td>'
                + "<td></td>" * 6
                + "</tr>"
            )
        rows.extend(
            _session_row(o, f"{day:%a %d}" if i == 0 else "") for i, o in enumerate(outings)
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _session_row(outing: Outing, day: str) -> str:
    kind = outing.session_type or ("not analysed" if outing.running else outing.sport)
    cells = [
        day,
        f"{outing.start_local:%H:%M}",
        f'<span class="type-{escape(kind)}">{escape(outing.label)}</span>',
        escape(kind),
        f"{outing.distance_m / 1000:.1f}",
        duration(outing.moving_s),
        pace(outing.distance_m, outing.moving_s) if outing.running else "",
        f"{outing.threshold_s / 60:.0f}" if outing.threshold_s else "",
        zones_text(outing.zones),
    ]
    numeric = {4, 5, 6, 7}
    return (
        "<tr>"
        + "".join(
            f"<td class='n'>{c}</td>" if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(cells)
        )
        + "</tr>"
    )


def _charts(report: WeekReport, trend: list[WeekRow]) -> str:
    charts = [svg(day_zone_chart(report)), svg(trend_chart(trend))]
    for outing in report.running:
        chart = reps_chart(outing) if outing.session_type == "threshold" else None
        if chart is not None:
            charts.append(svg(chart))
    return '<div class="charts">' + "".join(f"<div>{c}</div>" for c in charts) + "</div>"


def _cls(status: str) -> str:
    return "na" if status == "n/a" else status
