"""Charts of the weekly report as inline SVG strings (see `reports.svg`; no network)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from terskel.reports.load import LoadDay
from terskel.reports.outing import ZONES, Outing, rep_groups
from terskel.reports.svg import TIME_STEPS, Chart, mss
from terskel.reports.weekly import WeekReport, WeekRow

ZONE_COLOURS = {
    "I1": "#9ecae1",
    "I2": "#4292c6",
    "I3": "#41ab5d",
    "I4": "#fd8d3c",
    "I5": "#d7301f",
    "no zones": "#bdbdbd",
}
PACE, HR, POWER, LACTATE = "#08519c", "#cb181d", "#6a51a3", "#238b45"
# Pace axes span at least this much (s/km), so a few seconds' spread does not fill the axis.
MIN_PACE_SPAN = 30.0
MIN_HR_SPAN = 12.0


def day_zone_chart(report: WeekReport) -> str:
    """The week's days as bars of running distance stacked by zone."""
    days = [report.first_day + dt.timedelta(days=i) for i in range(7)]
    stacks = []
    for day in days:
        parts: dict[str, float] = {}
        for outing in report.running:
            if outing.local_date == day:
                for zone, km in _zone_km(outing).items():
                    parts[zone] = parts.get(zone, 0.0) + km
        stacks.append([(z, parts[z], ZONE_COLOURS[z]) for z in ZONE_COLOURS if z in parts])
    chart = Chart(
        "Distance per day by zone", y_label="km", zero=True, y_fmt=_num,
        categories=[f"{d:%a %d}" for d in days],
    )  # fmt: skip
    return chart.stacked_bars(stacks).legend(_zone_legend()).svg()


def _zone_km(outing: Outing) -> dict[str, float]:
    """The outing's distance split in proportion to its time per zone."""
    total = sum(outing.zones.get(z, 0) for z in ZONES)
    km = outing.distance_m / 1000
    if not total:
        return {"no zones": km}
    return {z: km * outing.zones[z] / total for z in ZONES if outing.zones.get(z, 0) > 0}


def _zone_legend() -> list[tuple[str, str]]:
    return list(ZONE_COLOURS.items())


# -- trends -------------------------------------------------------------------


def volume_chart(rows: Sequence[WeekRow]) -> str:
    """Running km per week."""
    chart = Chart("Weekly volume", y_label="km", zero=True, y_fmt=_num, categories=_weeks(rows))
    return chart.bars([r.distance_km for r in rows], "#6baed6", "km").svg()


def dose_chart(rows: Sequence[WeekRow], target: tuple[float | None, float | None]) -> str:
    """Threshold minutes per week, with the template's band as reference lines."""
    chart = Chart(
        "Threshold dose per week", y_label="min", zero=True, y_fmt=_num, categories=_weeks(rows)
    )
    chart.bars([r.dose_min for r in rows], "#fd8d3c", "threshold min")
    for edge, name in zip(target, ("target min", "target max"), strict=True):
        if edge:
            chart._ys.append(edge)
            chart.hline(edge, "#b35806", f"{name} {edge:.0f}", below=name == "target min")
    return chart.svg()


def zone_time_chart(rows: Sequence[WeekRow]) -> str:
    """Hours of running per week, stacked by HR zone."""
    stacks = [[(z, r.zones_s.get(z, 0.0) / 3600, ZONE_COLOURS[z]) for z in ZONES] for r in rows]
    chart = Chart(
        "Time in zone per week", y_label="hours", zero=True, y_fmt=_num, categories=_weeks(rows)
    )
    return chart.stacked_bars(stacks).legend([(z, ZONE_COLOURS[z]) for z in ZONES]).svg()


def load_chart(days: Sequence[LoadDay]) -> str:
    """Fitness, fatigue and form over the trend weeks (daily load as thin bars)."""
    if not days:
        return ""
    xs = list(range(len(days)))
    week_ticks = [(i, f"W{d.day.isocalendar()[1]:02d}") for i, d in enumerate(days)
                  if d.day.weekday() == 0 and i % 14 == 0]  # fmt: skip
    chart = Chart(
        "Fitness, fatigue and form", y_label="load", y_fmt=_num,
        x_range=(-0.5, len(days) - 0.5), x_ticks=week_ticks,
    )  # fmt: skip
    tips = [f"{d.day:%a %d %b}: load {d.load:.0f}" for d in days]
    chart.columns(xs, [d.load for d in days], "#d9d9d9", tips)
    chart.hline(0.0, "#bbb")
    chart.line(xs, [d.fitness for d in days], "#2171b5", "fitness", width=2.5)
    chart.line(xs, [d.fatigue for d in days], "#e6550d", "fatigue", width=1.5)
    chart.line(xs, [d.form for d in days], "#31a354", "form", width=1.5, dash="5 3")
    legend = [("fitness 42 d", "#2171b5"), ("fatigue 7 d", "#e6550d"), ("form", "#31a354"),
              ("daily load", "#d9d9d9")]  # fmt: skip
    return chart.legend(legend).svg()


def _weeks(rows: Sequence[WeekRow]) -> list[str]:
    return [r.week.split("-")[1] for r in rows]


# -- one session -------------------------------------------------------------------


def rep_charts(outing: Outing) -> list[str]:
    """Per group of like reps: pace and HR per rep (and lactate when measured)."""
    charts = []
    for length, reps in rep_groups(outing.reps):
        if len(reps) < 2:
            continue
        names = [str(i + 1) for i in range(len(reps))]
        xs = list(range(len(reps)))
        title = f"{len(reps)} x {length}"
        pace = Chart(
            f"{title}: pace", y_label="/km", y_fmt=mss, reverse_y=True, y_steps=TIME_STEPS,
            min_span=MIN_PACE_SPAN, categories=names, x_label="rep", height=170,
        )  # fmt: skip
        charts.append(pace.line(xs, [r.pace_s_per_km for r in reps], PACE, "pace", dots=True).svg())
        hr = Chart(
            f"{title}: heart rate", y_label="bpm", y_fmt=_num, min_span=MIN_HR_SPAN,
            categories=names, x_label="rep", height=170,
        )  # fmt: skip
        hr.line(xs, [r.avg_hr for r in reps], "#fb6a4a", "avg HR", dots=True, width=1.5)
        hr.line(xs, [r.hr_2nd_half for r in reps], HR, "HR 2nd half", dots=True)
        hr.legend([("avg", "#fb6a4a"), ("2nd half", HR)])
        charts.append(hr.svg())
        if any(r.lactate is not None for r in reps):
            lac = Chart(
                f"{title}: lactate", y_label="mmol/L", min_span=1.0, categories=names,
                x_label="rep", height=170,
            )  # fmt: skip
            charts.append(lac.dots(xs, [r.lactate for r in reps], LACTATE, "mmol/L").svg())
    return charts


def trace_charts(
    trace: Sequence[tuple[float, float | None, float | None, float | None]],
    spans: Sequence[tuple[float, float, str]],
) -> list[str]:
    """Pace, HR and power over the session's minutes, reps shaded.

    `trace` rows are (minute, pace s/km, HR, power W); `spans` (start, end, tip) in minutes.
    """
    if len(trace) < 2:
        return []
    xs = [row[0] for row in trace]
    x_range = (xs[0], xs[-1])
    x_ticks = [(float(m), f"{m:g}") for m in _minute_ticks(xs[-1])]
    charts = []
    panels = (
        (1, "Pace", "/km", mss, PACE, True, MIN_PACE_SPAN),
        (2, "Heart rate", "bpm", _num, HR, False, MIN_HR_SPAN),
        (3, "Power", "W", _num, POWER, False, 20.0),
    )
    for column, title, unit, fmt, colour, reverse, min_span in panels:
        ys = [row[column] for row in trace]
        known = sorted(y for y in ys if y is not None)
        if len(known) < 2:
            continue
        # robust range: a stop or a GPS spike must not squash the rest of the session
        lo, hi = known[len(known) // 20], known[-1 - len(known) // 20]
        middle, half = (lo + hi) / 2, max(hi - lo, min_span) / 2 * 1.25
        chart = Chart(
            title, y_label=unit, y_fmt=fmt, reverse_y=reverse, x_range=x_range,
            y_steps=TIME_STEPS if column == 1 else (),
            x_ticks=x_ticks, x_label="minutes", height=170,
            y_range=(middle - half, middle + half),
        )  # fmt: skip
        for start, end, tip in spans:
            chart.span(start, end, "#fdd0a2", tip)
        clipped = [None if y is None else min(max(y, middle - half), middle + half) for y in ys]
        charts.append(chart.line(xs, clipped, colour, title, width=1.5).svg())
    return charts


def _minute_ticks(last: float) -> list[int]:
    step = next(s for s in (5, 10, 15, 20, 30, 60, 120) if last / s <= 7)
    return list(range(0, int(last) + 1, step))


def _num(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"
