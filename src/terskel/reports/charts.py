"""Charts of the weekly report as inline SVG (altair specs rendered by vl-convert, offline)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import polars as pl
import vl_convert as vlc

from terskel.reports.weekly import ZONES, Outing, WeekReport, WeekRow

ZONE_COLOURS = {
    "I1": "#9ecae1",
    "I2": "#4292c6",
    "I3": "#41ab5d",
    "I4": "#fd8d3c",
    "I5": "#d7301f",
    "no zones": "#bdbdbd",
}
WIDTH = 460
# m:ss from seconds, for pace axes
PACE_LABEL = (
    "floor(datum.value / 60) + ':' + (datum.value % 60 < 10 ? '0' : '') + floor(datum.value % 60)"
)


def svg(chart: alt.TopLevelMixin) -> str:
    """An altair chart as an SVG string (no network, no browser)."""
    spec: dict[str, Any] = chart.to_dict()
    text: str = vlc.vegalite_to_svg(spec)
    return text


def day_zone_chart(report: WeekReport) -> alt.Chart:
    """The week's days as bars of running distance stacked by zone."""
    frame = pl.DataFrame(_day_rows(report), schema=["day", "order", "zone", "km"], orient="row")
    zones = list(ZONE_COLOURS)
    chart: alt.Chart = (
        alt.Chart(frame, title="Distance per day by zone")
        .mark_bar()
        .encode(
            x=alt.X("day:N", sort=_days(report), title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("sum(km):Q", title="km"),
            color=alt.Color(
                "zone:N",
                scale=alt.Scale(domain=zones, range=[ZONE_COLOURS[z] for z in zones]),
                legend=alt.Legend(orient="right", title="zone"),
            ),
            order=alt.Order("zone:N"),
            tooltip=["day:N", "zone:N", alt.Tooltip("km:Q", format=".1f")],
        )
        .properties(width=WIDTH, height=200)
    )
    return chart


def _days(report: WeekReport) -> list[str]:
    """Monday to Sunday, as the chart labels them."""
    return [f"{report.first_day + dt.timedelta(days=i):%a %d}" for i in range(7)]


def _day_rows(report: WeekReport) -> list[tuple[str, int, str, float]]:
    rows = []
    for offset in range(7):
        day = report.first_day + dt.timedelta(days=offset)
        label = f"{day:%a %d}"
        runs = [o for o in report.running if o.local_date == day]
        rows.append((label, offset, "no zones", 0.0))
        for outing in runs:
            rows.extend((label, offset, zone, km) for zone, km in _zone_km(outing).items())
    return rows


def _zone_km(outing: Outing) -> dict[str, float]:
    """The outing's distance split in proportion to its time per zone."""
    total = sum(outing.zones.get(z, 0) for z in ZONES)
    km = outing.distance_m / 1000
    if not total:
        return {"no zones": km}
    return {z: km * outing.zones[z] / total for z in ZONES if outing.zones.get(z, 0) > 0}


def reps_chart(outing: Outing) -> alt.VConcatChart | None:
    """One threshold session's reps: pace, heart rate, and lactate when measured."""
    if len(outing.reps) < 2:
        return None
    frame = pl.DataFrame(
        [(r.number, r.pace_s_per_km, r.hr, r.lactate) for r in outing.reps],
        schema=["rep", "pace", "hr", "lactate"],
        orient="row",
    )
    base = alt.Chart(frame).encode(x=alt.X("rep:O", title="rep", axis=alt.Axis(labelAngle=0)))
    panels = [
        _rep_line(base, "pace", "pace /km", "#08519c", reverse=True),
        _rep_line(base, "hr", "HR bpm", "#cb181d"),
    ]
    if frame["lactate"].drop_nulls().len():
        panels.append(_rep_line(base, "lactate", "lactate mmol/L", "#6a51a3"))
    chart: alt.VConcatChart = alt.vconcat(*panels, title=outing.name).resolve_scale(x="shared")
    return chart


def _rep_line(
    base: alt.Chart, field: str, title: str, colour: str, reverse: bool = False
) -> alt.LayerChart:
    axis = alt.Axis(labelExpr=PACE_LABEL) if field == "pace" else alt.Axis()
    y = alt.Y(f"{field}:Q", title=title, scale=alt.Scale(zero=False, reverse=reverse), axis=axis)
    line = base.mark_line(color=colour, point=alt.OverlayMarkDef(color=colour, size=50)).encode(
        y=y, tooltip=["rep:O", alt.Tooltip(f"{field}:Q", format=".1f")]
    )
    layer = alt.layer(line).transform_filter(f"isValid(datum.{field})")
    sized: alt.LayerChart = layer.properties(width=WIDTH, height=90)  # type: ignore[assignment]
    return sized


def trend_chart(rows: list[WeekRow]) -> alt.LayerChart:
    """Weekly volume (bars) and threshold dose (line) over the trend weeks."""
    frame = pl.DataFrame(
        [(r.week, r.distance_km, r.dose_min) for r in rows],
        schema={"week": pl.String, "km": pl.Float64, "dose": pl.Float64},
        orient="row",
    )
    base = alt.Chart(frame, title="Volume and threshold dose").encode(
        x=alt.X("week:N", title=None, axis=alt.Axis(labelAngle=-45))
    )
    bars = base.mark_bar(color="#9ecae1").encode(y=alt.Y("km:Q", title="km (bars)"))
    line = base.mark_line(color="#e6550d", point=True).encode(
        y=alt.Y("dose:Q", title="threshold min (line)")
    )
    chart: alt.LayerChart = alt.layer(bars, line).resolve_scale(y="independent")
    return chart.properties(width=WIDTH, height=200)
