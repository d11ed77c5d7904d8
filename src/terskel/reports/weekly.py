"""The weekly compliance report: the store's rows in, a typed `WeekReport` out (no I/O).

The rows come as a `WeekData` (see `reports.week_data`), merged there into
outings. Activities not typed yet still count for volume and long run; every
check that needs a type says so instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from terskel.models import Template
from terskel.reports.check_base import Check
from terskel.reports.checks import week_checks
from terskel.reports.load import LoadDay, load_curve, session_load
from terskel.reports.outing import ZONES, Outing
from terskel.reports.week_data import WeekData as WeekData  # re-exported for reporting
from terskel.reports.week_data import all_outings as all_outings  # re-exported for reporting

TREND_WEEKS = 12
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True)
class Scale:
    """What the template's volume-bound targets were scaled to."""

    weekly_km: float | None
    source: str  # target | own | none

    @property
    def text(self) -> str:
        """One line for the report header."""
        if self.source == "target":
            return f"scaled to your target of {self.weekly_km:.0f} km/week"
        if self.source == "own":
            return (
                f"scaled to your own 4-week mean of {self.weekly_km:.0f} km/week "
                "(set [athlete] target_weekly_km to judge volume)"
            )
        return "not scaled: no target_weekly_km and no running to scale from"


@dataclass(frozen=True)
class WeekReport:
    """One ISO week measured against one template."""

    week: str
    first_day: dt.date
    template: Template
    scale: Scale
    outings: tuple[Outing, ...]
    checks: tuple[Check, ...]
    previous: tuple[Outing, ...] = ()
    load: tuple[LoadDay, ...] = ()  # the 12 weeks ending with this one, one row a day
    recent: tuple[Outing, ...] = ()  # every outing of those 12 weeks (the calendar's)

    @property
    def running(self) -> tuple[Outing, ...]:
        """This week's running outings, in time order."""
        return tuple(o for o in self.outings if o.running)

    def counts(self) -> dict[str, int]:
        """How many checks have each status."""
        result = {"ok": 0, "near": 0, "off": 0, "unknown": 0, "n/a": 0}
        for check in self.checks:
            result[check.status] += 1
        return result


@dataclass(frozen=True)
class WeekRow:
    """One line of the multi-week trend."""

    week: str
    distance_km: float
    moving_s: float
    runs: int
    threshold_sessions: int
    double_days: int
    dose_min: float | None
    longest_km: float
    counts: dict[str, int]
    zones_s: dict[str, float] = field(default_factory=dict)
    load: float = 0.0
    fitness: float | None = None
    fatigue: float | None = None
    form: float | None = None


def parse_week(text: str) -> str:
    """'2026-W07' (also '2026-w7') in canonical form; ValueError when it is not a week."""
    match = _WEEK.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an ISO week (use e.g. 2026-W07)")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        dt.date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise ValueError(f"{text!r}: {year} has no week {number}") from exc
    return f"{year}-W{number:02d}"


def week_start(week: str) -> dt.date:
    """The Monday of an ISO week."""
    year, number = week.split("-W")
    return dt.date.fromisocalendar(int(year), int(number), 1)


def week_of(day: dt.date) -> str:
    """The ISO week a date belongs to."""
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def add_weeks(week: str, count: int) -> str:
    """The week `count` weeks later (earlier when negative)."""
    return week_of(week_start(week) + dt.timedelta(weeks=count))


def default_week(latest_local: dt.datetime | None, today: dt.date) -> str:
    """The last complete week: the newest activity's week once it has ended."""
    last_complete = add_weeks(week_of(today), -1)
    if latest_local is None:
        return last_complete
    return min(week_of(latest_local.date()), last_complete)


def span(week: str, weeks_before: int) -> tuple[dt.date, dt.date]:
    """First and last local date of `week` and the `weeks_before` weeks before it."""
    first = week_start(week) - dt.timedelta(weeks=weeks_before)
    return first, week_start(week) + dt.timedelta(days=6)


def build_week(
    data: WeekData,
    week: str,
    template: Template,
    target_weekly_km: float | None = None,
    outings: list[Outing] | None = None,
) -> WeekReport:
    """Measure one ISO week against a template (target km scales the template)."""
    outings = all_outings(data) if outings is None else outings
    scale = _scale(outings, week, template, target_weekly_km)
    scaled = (
        template.scaled(scale.weekly_km / template.reference_weekly_km)
        if scale.weekly_km
        else template
    )
    this = _in_weeks(outings, week, 1)
    previous = _in_weeks(outings, add_weeks(week, -1), 1)
    window = _in_weeks(outings, week, template.polarity_weeks)
    checks = week_checks(
        this, previous, window, scaled, scale.source == "target", scale.source != "none"
    )
    first, last = span(week, TREND_WEEKS - 1)
    load = tuple(load_curve(outings, first, last))
    recent = _in_weeks(outings, week, TREND_WEEKS)
    return WeekReport(week, week_start(week), scaled, scale, this, checks, previous, load, recent)


def build_trend(
    data: WeekData,
    last_week: str,
    count: int,
    template: Template,
    target: float | None = None,
    outings: list[Outing] | None = None,
) -> list[WeekRow]:
    """One row per week, oldest first, for the `count` weeks ending with `last_week`."""
    rows: list[WeekRow] = []
    outings = all_outings(data) if outings is None else outings
    for offset in range(count - 1, -1, -1):
        report = build_week(data, add_weeks(last_week, -offset), template, target, outings)
        if rows or report.outings or offset == 0:  # no empty weeks before the history starts
            rows.append(_trend_row(report))
    return rows


def _scale(outings: list[Outing], week: str, template: Template, target: float | None) -> Scale:
    """Scale by the athlete's target km, else by their own mean over the window."""
    if target:
        return Scale(target, "target")
    weeks = [add_weeks(week, -i) for i in range(template.polarity_weeks)]
    first_run = min((o.local_date for o in outings if o.running), default=None)
    if first_run is None:
        return Scale(None, "none")
    counted = [w for w in weeks if week_start(w) + dt.timedelta(days=6) >= first_run]
    km = sum(o.distance_m for o in _in_weeks(outings, week, len(weeks)) if o.running) / 1000
    if not counted or km <= 0:
        return Scale(None, "none")
    return Scale(km / len(counted), "own")


def _in_weeks(outings: list[Outing], last_week: str, count: int) -> tuple[Outing, ...]:
    """Outings in `count` weeks ending with `last_week`."""
    first, last = span(last_week, count - 1)
    return tuple(o for o in outings if first <= o.local_date <= last)


def _trend_row(report: WeekReport) -> WeekRow:
    runs = report.running
    checks = {c.key: c for c in report.checks}
    zones: dict[str, float] = {}
    for outing in runs:
        for zone in ZONES:
            zones[zone] = zones.get(zone, 0.0) + outing.zones.get(zone, 0.0)
    end = report.load[-1] if report.load else None
    return WeekRow(
        week=report.week,
        distance_km=sum(o.distance_m for o in runs) / 1000,
        moving_s=sum(o.moving_s for o in runs),
        runs=len(runs),
        threshold_sessions=sum(1 for o in runs if o.session_type == "threshold"),
        double_days=int(checks["double_days"].value or 0),
        dose_min=checks["threshold_dose"].value,
        longest_km=max((o.distance_m for o in runs), default=0.0) / 1000,
        counts=report.counts(),
        zones_s={z: s for z, s in zones.items() if s > 0},
        load=sum(session_load(o)[0] for o in report.outings),
        fitness=end.fitness if end else None,
        fatigue=end.fatigue if end else None,
        form=end.form if end else None,
    )
