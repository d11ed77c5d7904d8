"""The weekly report as one self-contained HTML file (inline CSS and SVG, no network).

Sections: checks, sessions (each linked to its detail further down), this week's
chart and month calendar, the 12-week trends with fitness/fatigue/form, and one
section per run: pace/HR/power trace with the reps shaded, the rep table and charts.
Below 600 px wide the tables become stacked cards; wide tables scroll in place.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape

from terskel.reports import charts
from terskel.reports.format import duration, pace
from terskel.reports.load import LOAD_METHOD, session_load
from terskel.reports.outing import ZONES, Outing, rep_groups
from terskel.reports.svg import mss
from terskel.reports.trace import Trace
from terskel.reports.weekly import WeekReport, WeekRow
from terskel.reports.weekly_render import STATUS_MARK, value_text, zones_text

TYPE_COLOURS = {
    "threshold": "#2171b5", "vo2": "#cb181d", "x_element": "#e6550d", "race": "#756bb1",
    "long": "#238b45", "easy": "#74c476", "unknown": "#969696", "other_sport": "#bdbdbd",
}  # fmt: skip

CSS = """
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;
 margin:0;background:#f5f6f8}
main{max-width:1120px;margin:0 auto;padding:24px 28px;background:#fff}
h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:30px 0 8px;border-bottom:1px solid #ddd;
 padding-bottom:4px} h3{font-size:16px;margin:22px 0 6px}
a{color:#08519c}
.sub{color:#555;margin:0 0 12px}
.pills span{display:inline-block;padding:3px 10px;border-radius:12px;margin:0 6px 4px 0;
 font-weight:600;font-size:14px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{padding:5px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#fafafa;font-weight:600} td.n{text-align:right;white-space:nowrap}
tr.rest td{color:#999}
.ok{background:#e3f4e6;color:#1b7a31}.near{background:#fff4d6;color:#946200}
.off{background:#fde4e1;color:#b3261e}.unknown{background:#efe6fa;color:#6a3fa0}
.na{background:#eee;color:#777}
td.status{font-weight:700;white-space:nowrap;border-radius:4px}
.why{color:#444}
.zbar{display:inline-flex;width:110px;height:10px;border-radius:3px;overflow:hidden;
 vertical-align:middle;background:#eee;margin-right:6px}
.zbar i{display:block;height:100%}
.ztext{color:#666;font-size:12px;white-space:nowrap}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:14px 22px}
.charts svg{width:100%;height:auto;display:block;max-width:560px}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
.scroll table{min-width:520px}.reps th{white-space:nowrap}
.cal{table-layout:fixed}.cal th,.cal td{width:14.28%;padding:3px;font-size:12px;height:58px}
.cal td.out{background:#fafafa;color:#bbb}
.cal td.week{outline:2px solid #08519c;outline-offset:-2px}
.cal .d{color:#888;font-size:11px}
.chip{display:block;border-radius:3px;padding:1px 4px;margin-top:2px;color:#fff;
 overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.session{border-top:1px solid #ddd;margin-top:26px}
.facts{color:#444;margin:4px 0 10px}
.conf{display:inline-block;padding:1px 8px;border-radius:10px;background:#eef3fb;color:#08519c;
 font-size:13px}
.note{color:#666;font-size:13px}
footer{color:#888;font-size:12px;margin-top:28px}
@media (max-width:600px){
 body{font-size:15px} main{padding:14px 12px}
 h1{font-size:21px}
 table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}
 table.cards thead{display:none}
 table.cards tr{border:1px solid #e3e3e3;border-radius:6px;margin:0 0 10px;padding:4px 8px}
 table.cards td{border:0;padding:2px 0;text-align:left;white-space:normal}
 table.cards td[data-label]{display:inline-block;width:auto;margin-right:14px}
 table.cards td[data-label]::before{content:attr(data-label) ": ";color:#777;font-weight:400}
 table.cards td:empty{display:none}
 table.cards tr.rest{padding:2px 8px;color:#999}
 table.cards td.status{display:inline-block;padding:1px 8px;margin:2px 0}
 .charts{grid-template-columns:1fr}
 .cal th,.cal td{font-size:11px;height:50px;padding:2px}
 .chip{padding:0 2px;font-size:10px}
}
"""


def week_html(
    report: WeekReport, trend: list[WeekRow], traces: Mapping[int, Trace] | None = None
) -> str:
    """The whole page: header, checks, sessions, charts, trends, one section per run."""
    last = report.first_day + dt.timedelta(days=6)
    parts = [
        f"<h1>Week {report.week}</h1>",
        f'<p class="sub">{report.first_day:%a %d %b} - {last:%a %d %b %Y} · template '
        f"<b>{escape(report.template.name)}</b>, {escape(report.scale.text)}</p>",
        _pills(report),
        "<h2 id='checks'>Checks</h2>",
        _checks(report),
        "<h2 id='sessions'>Sessions</h2>",
        _sessions(report),
        "<h2 id='week'>This week</h2>",
        _chart_grid([charts.day_zone_chart(report)]),
        _calendar(report),
        "<h2 id='trends'>Trends</h2>",
        _trends(report, trend),
        "<h2 id='details'>Sessions in detail</h2>",
        _details(report, traces or {}),
    ]
    body = "\n".join(parts)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
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
        f"<td><b>{escape(c.title)}</b></td>"
        f"<td class='n' data-label='value'>{escape(value_text(c)) or '-'}</td>"
        f"<td class='n' data-label='target'>{escape(c.target)}</td>"
        f"<td class='why'>{escape(c.reason)}</td></tr>"
        for c in report.checks
    )
    head = (
        "<thead><tr><th>status</th><th>check</th><th>value</th><th>target</th><th>why</th></tr>"
        "</thead>"
    )
    return f"<table class='cards'>{head}<tbody>{rows}</tbody></table>"


def _sessions(report: WeekReport) -> str:
    head = (
        "<thead><tr><th>day</th><th>start</th><th>session</th><th>type</th><th>km</th>"
        "<th>time</th><th>pace</th><th>threshold min</th><th>load</th><th>zones</th></tr></thead>"
    )
    rows = []
    for offset in range(7):
        day = report.first_day + dt.timedelta(days=offset)
        outings = [o for o in report.outings if o.local_date == day]
        if not outings:
            rows.append(
                f'<tr class="rest"><td>{day:%a %d}</td><td></td><td>rest</td>'
                + "<td></td>" * 7
                + "</tr>"
            )
        rows.extend(_session_row(o, day) for o in outings)
    return f"<table class='cards'>{head}<tbody>{''.join(rows)}</tbody></table>"


def _session_row(outing: Outing, day: dt.date) -> str:
    kind = _kind(outing)
    label = escape(outing.label)
    if outing.running:
        label = f'<a href="#session-{outing.outing_id}">{label}</a>'
    cells = [
        ("", f"<b>{day:%a %d}</b>"),
        ("", f"{outing.start_local:%H:%M}"),
        ("", f'<span class="type-{escape(kind)}">{label}</span>'),
        ("type", escape(kind)),
        ("km", f"{outing.distance_m / 1000:.1f}"),
        ("time", duration(outing.moving_s)),
        ("pace", pace(outing.distance_m, outing.moving_s) if outing.running else ""),
        ("threshold min", f"{outing.threshold_s / 60:.0f}" if outing.threshold_s else ""),
        ("load", f"{session_load(outing)[0]:.0f}"),
        ("", zone_bar(outing.zones)),
    ]
    numeric = {4, 5, 6, 7, 8}
    return (
        "<tr>"
        + "".join(
            f"<td{' class=n' if i in numeric else ''}"
            f"{f' data-label={chr(39)}{name}{chr(39)}' if name else ''}>{c}</td>"
            for i, (name, c) in enumerate(cells)
        )
        + "</tr>"
    )


def zone_bar(zones: dict[str, float]) -> str:
    """A small stacked bar of the zone shares, with the shares as text beside it."""
    text = zones_text(zones)
    if not text:
        return ""
    total = sum(zones.get(z, 0.0) for z in ZONES) or 1.0
    bars = "".join(
        f'<i style="width:{zones.get(z, 0.0) / total * 100:.1f}%;'
        f'background:{charts.ZONE_COLOURS[z]}" title="{z}"></i>'
        for z in ZONES
        if zones.get(z, 0.0) > 0
    )
    return f'<span class="zbar">{bars}</span><span class="ztext">{escape(text)}</span>'


def _calendar(report: WeekReport) -> str:
    """The month of the reported week (by its Thursday), sessions as coloured chips."""
    thursday = report.first_day + dt.timedelta(days=3)
    weeks = calendar.Calendar().monthdatescalendar(thursday.year, thursday.month)
    by_day: dict[dt.date, list[Outing]] = {}
    for outing in report.recent:
        by_day.setdefault(outing.local_date, []).append(outing)
    week_days = {report.first_day + dt.timedelta(days=i) for i in range(7)}
    head = "".join(f"<th>{name}</th>" for name in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))
    rows = []
    for days in weeks:
        cells = []
        for day in days:
            classes = [c for c, on in (("out", day.month != thursday.month),
                                       ("week", day in week_days)) if on]  # fmt: skip
            chips = "".join(_chip(o) for o in by_day.get(day, []))
            cls = f" class='{' '.join(classes)}'" if classes else ""
            cells.append(f"<td{cls}><span class='d'>{day.day}</span>{chips}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    title = f"<h3>{thursday:%B %Y}</h3>"
    legend = " ".join(
        f"<span class='chip' style='display:inline-block;background:{c}'>{escape(k)}</span>"
        for k, c in TYPE_COLOURS.items()
    )
    return (
        f"{title}<table class='cal'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
        f"</tbody></table><p class='note'>{legend}</p>"
    )


def _chip(outing: Outing) -> str:
    kind = outing.session_type or ("other_sport" if not outing.running else "unknown")
    colour = TYPE_COLOURS.get(kind, "#969696")
    name = outing.structure if outing.structure not in (None, "continuous", "unknown") else kind
    text = escape(f"{name} {outing.distance_m / 1000:.0f} km")
    return f"<span class='chip' style='background:{colour}' title='{text}'>{text}</span>"


def _trends(report: WeekReport, trend: Sequence[WeekRow]) -> str:
    dose = next((c for c in report.checks if c.key == "threshold_dose"), None)
    band = (dose.target_min, dose.target_max) if dose else (None, None)
    grid = _chart_grid(
        [
            charts.volume_chart(trend),
            charts.dose_chart(trend, band),
            charts.zone_time_chart(trend),
            charts.load_chart(report.load),
        ]
    )
    last = report.load[-1] if report.load else None
    now = (
        f"On {last.day:%a %d %b}: fitness {last.fitness:.0f}, fatigue {last.fatigue:.0f}, "
        f"form {last.form:+.0f}. "
        if last
        else ""
    )
    return f"{grid}<p class='note'>{now}Load: {escape(LOAD_METHOD)}.</p>"


def _details(report: WeekReport, traces: Mapping[int, Trace]) -> str:
    runs = report.running
    if not runs:
        return "<p class='note'>No runs this week.</p>"
    return "\n".join(_detail(o, traces.get(o.outing_id)) for o in runs)


def _detail(outing: Outing, trace: Trace | None) -> str:
    kind = _kind(outing)
    score, basis = session_load(outing)
    facts = [
        f"{outing.start_local:%a %d %b %H:%M}",
        f"{outing.distance_m / 1000:.1f} km",
        duration(outing.moving_s),
        pace(outing.distance_m, outing.moving_s),
        f"load {score:.0f} ({'from HR zones' if basis == 'zones' else 'from type and time'})",
    ]
    if outing.threshold_s:
        facts.append(f"{outing.threshold_s / 60:.0f} min in the threshold band")
    parts = [
        f"<section class='session' id='session-{outing.outing_id}'>",
        f"<h3>{escape(outing.label)} <span class='note'>· {escape(kind)}</span></h3>",
        f"<p class='facts'>{escape(' · '.join(f for f in facts if f))}</p>",
        f"<p class='facts'>{_confidence(outing)}</p>",
    ]
    if outing.zones:
        parts.append(f"<p class='facts'>{zone_bar(outing.zones)}</p>")
    trace_svgs = charts.trace_charts(trace.rows, trace.spans) if trace else []
    if not trace_svgs:
        parts.append("<p class='note'>No samples stored for this session.</p>")
    parts.append(_chart_grid(trace_svgs + charts.rep_charts(outing)))
    if outing.reps:
        parts.append(_rep_table(outing))
    parts.append("<p class='note'><a href='#sessions'>back to the sessions</a></p></section>")
    return "\n".join(parts)


def _confidence(outing: Outing) -> str:
    reason = escape(outing.reason) if outing.reason else ""
    if outing.confidence is None:
        label = "label confidence: not given by this store's detector"
    else:
        label = f"label confidence {outing.confidence * 100:.0f} %"
    return f"<span class='conf'>{label}</span> {reason}"


def _rep_table(outing: Outing) -> str:
    first_hr = next((r.hr for r in outing.reps if r.hr is not None), None)
    head = (
        "<thead><tr><th>rep</th><th>length</th><th>time</th><th>distance</th><th>pace</th>"
        "<th>HR</th><th>HR 2nd half</th><th>drift vs rep 1</th><th>lactate</th></tr></thead>"
    )
    rows = []
    names = {id(r): name for name, group in rep_groups(outing.reps) for r in group}
    for rep in outing.reps:
        drift = (
            f"{(rep.hr - first_hr) / first_hr * 100:+.1f} %"
            if rep.hr is not None and first_hr
            else ""
        )
        cells = [
            str(rep.number),
            escape(names[id(rep)]),
            duration(rep.duration_s),
            f"{rep.distance_m:.0f} m" if rep.distance_m else "",
            f"{mss(rep.pace_s_per_km)}/km" if rep.pace_s_per_km else "",
            f"{rep.avg_hr:.0f}" if rep.avg_hr else "",
            f"{rep.hr_2nd_half:.0f}" if rep.hr_2nd_half else "",
            drift,
            f"{rep.lactate:.1f}" if rep.lactate is not None else "",
        ]
        rows.append("<tr>" + "".join(f"<td class='n'>{c}</td>" for c in cells) + "</tr>")
    note = "drift: the rep's HR (2nd half when known) against the first rep's."
    return (
        f"<div class='scroll'><table class='reps'>{head}<tbody>{''.join(rows)}</tbody></table>"
        f"</div><p class='note'>{note}</p>"
    )


def _chart_grid(svgs: Sequence[str]) -> str:
    items = "".join(f"<div>{s}</div>" for s in svgs if s)
    return f'<div class="charts">{items}</div>' if items else ""


def _kind(outing: Outing) -> str:
    return outing.session_type or ("not analysed" if outing.running else outing.sport)


def _cls(status: str) -> str:
    return "na" if status == "n/a" else status
