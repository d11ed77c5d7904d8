"""The weekly compliance report: polars frames in, a typed `WeekReport` out (no I/O).

Inputs are the store's tables as frames (see the `*_SCHEMA` dicts): activities,
the `sessions` typing (one row per activity), whole-activity `zone_time`, work
reps from `intervals`, and `lactate`. Files of one outing (warm-up, blocks and
cool-down saved separately) share an `outing_id` and are judged as one session.
Activities not typed yet still count for volume and long run; every check that
needs a type says so instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import polars as pl

from terskel.analysis.sessions import SESSION_SCHEMA
from terskel.models import Template
from terskel.reports.checks import Check, week_checks
from terskel.reports.load import LoadDay, load_curve, session_load

ACTIVITY_SCHEMA: dict[str, pl.DataType] = {
    "activity_id": pl.Int64(),
    "sport": pl.String(),
    "start_local": pl.Datetime("us"),
    "elapsed_s": pl.Float64(),
    "timer_s": pl.Float64(),
    "distance_m": pl.Float64(),
    "avg_hr": pl.Float64(),
    "recordings": pl.Int64(),
}
ZONE_SCHEMA: dict[str, pl.DataType] = {
    "activity_id": pl.Int64(),
    "seg_index": pl.Int32(),
    "model": pl.String(),
    "zone": pl.String(),
    "seconds": pl.Float64(),
}
REP_SCHEMA: dict[str, pl.DataType] = {
    "activity_id": pl.Int64(),
    "set_no": pl.Int32(),
    "rep_no": pl.Int32(),
    "start_utc": pl.Datetime("us"),
    "duration_s": pl.Float64(),
    "distance_m": pl.Float64(),
    "avg_speed_mps": pl.Float64(),
    "avg_hr": pl.Float64(),
    "avg_hr_2nd_half": pl.Float64(),
}
# `confidence` (0-1) comes with the interval detector's labels; older stores lack it.
STRUCTURE_SCHEMA: dict[str, pl.DataType] = {
    "activity_id": pl.Int64(),
    "confidence": pl.Float64(),
}
LACTATE_SCHEMA: dict[str, pl.DataType] = {
    "activity_id": pl.Int64(),
    "set_no": pl.Int32(),
    "rep_no": pl.Int32(),
    "mmol": pl.Float64(),
}

# Zone model the report reads (threshold-model.md section 2).
ZONE_MODEL = "olympiatoppen"
ZONES = ("I1", "I2", "I3", "I4", "I5")
# When one outing has several typed files, the outing takes the first type here.
TYPE_ORDER = ("race", "threshold", "vo2", "x_element", "long", "easy", "unknown", "other_sport")
TREND_WEEKS = 12
BASIS_ORDER = ("lactate", "hr", "power", "pace", "none")
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True)
class WeekData:
    """The store's rows a report needs (any span of weeks; the report picks its own)."""

    activities: pl.DataFrame
    sessions: pl.DataFrame
    zone_time: pl.DataFrame
    reps: pl.DataFrame
    lactate: pl.DataFrame
    structures: pl.DataFrame

    @classmethod
    def empty(cls) -> WeekData:
        """No rows at all (an empty store)."""
        return cls.of()

    @classmethod
    def of(
        cls,
        activities: pl.DataFrame | None = None,
        sessions: pl.DataFrame | None = None,
        zone_time: pl.DataFrame | None = None,
        reps: pl.DataFrame | None = None,
        lactate: pl.DataFrame | None = None,
        structures: pl.DataFrame | None = None,
    ) -> WeekData:
        """Frames coerced to the report's schemas (missing ones empty)."""
        return cls(
            _conform(activities, ACTIVITY_SCHEMA),
            _conform(sessions, SESSION_SCHEMA),
            _conform(zone_time, ZONE_SCHEMA),
            _conform(reps, REP_SCHEMA),
            _conform(lactate, LACTATE_SCHEMA),
            _conform(structures, STRUCTURE_SCHEMA),
        )


@dataclass(frozen=True)
class Rep:
    """One work rep of a threshold session (a whole block file counts as one rep)."""

    number: int
    activity_id: int
    duration_s: float | None
    distance_m: float | None
    pace_s_per_km: float | None
    hr: float | None
    lactate: float | None
    avg_hr: float | None = None
    hr_2nd_half: float | None = None
    start_utc: dt.datetime | None = None


@dataclass(frozen=True)
class Outing:
    """One session: the files of one outing merged (all sports)."""

    outing_id: int
    activity_ids: tuple[int, ...]
    local_date: dt.date
    half_day: str
    start_local: dt.datetime
    end_local: dt.datetime
    sport: str
    session_type: str | None  # None: not analysed yet
    structure: str | None
    distance_m: float
    moving_s: float
    work_s: float | None
    threshold_s: float | None
    above_s: float | None
    basis: str
    drift_hr_pct: float | None
    drift_pace_pct: float | None
    has_hr: bool
    recordings: int
    zones: dict[str, float] = field(default_factory=dict)
    reps: tuple[Rep, ...] = ()
    reason: str = ""
    confidence: float | None = None  # the structure label's, 0-1, when the detector gives one

    @property
    def load(self) -> float:
        """The session's load score (see `reports.load`)."""
        return session_load(self)[0]

    @property
    def running(self) -> bool:
        """True for runs (treadmill and trail are running too)."""
        return self.sport == "running"

    @property
    def hard_s(self) -> float | None:
        """Seconds in I4-I5 (Olympiatoppen zones); the typing's above-band time without zones."""
        if any(self.zones.get(z, 0) > 0 for z in ZONES):
            return self.zones.get("I4", 0.0) + self.zones.get("I5", 0.0)
        return self.above_s

    @property
    def label(self) -> str:
        """The structure when there is one, else the type and distance."""
        if self.structure and self.structure not in ("continuous", "unknown"):
            extra = f" ({len(self.activity_ids)} files)" if len(self.activity_ids) > 1 else ""
            return f"{self.structure}{extra}"
        kind = self.session_type or "not analysed"
        return f"{kind} {self.distance_m / 1000:.1f} km"

    @property
    def name(self) -> str:
        """How reasons name the session: day, date and label."""
        return f"{self.local_date:%a} {self.local_date.day}/{self.local_date.month} {self.label}"


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


def all_outings(data: WeekData) -> list[Outing]:
    """Every outing in the data, in time order."""
    files = _files(data)
    zones = _zones(data.zone_time)
    reps = _reps(data.reps, data.lactate)
    confidence = _confidence(data.structures)
    groups: dict[int, list[dict[str, object]]] = {}
    for row in files.iter_rows(named=True):
        groups.setdefault(int(row["outing_id"]), []).append(row)
    outings = [_outing(rows, zones, reps, confidence) for rows in groups.values()]
    return sorted(outings, key=lambda o: o.start_local)


def _files(data: WeekData) -> pl.DataFrame:
    """One row per activity: its typing when analysed, else what the activity says."""
    sessions = data.sessions.rename({"sport": "session_sport", "distance_m": "session_distance_m"})
    joined = data.activities.join(sessions, on="activity_id", how="left")
    return joined.with_columns(
        outing_id=pl.coalesce("outing_id", "activity_id"),
        local_date=pl.coalesce("local_date", pl.col("start_local").dt.date()),
        sport=pl.coalesce("session_sport", "sport"),
        distance_m=pl.coalesce("session_distance_m", "distance_m", pl.lit(0.0)),
        moving_s=pl.coalesce("moving_s", "timer_s", "elapsed_s", pl.lit(0.0)),
        end_local=pl.col("start_local")
        + pl.duration(seconds=pl.coalesce("elapsed_s", "timer_s", pl.lit(0.0))),
    ).sort("start_local")


def _zones(zone_time: pl.DataFrame) -> dict[int, dict[str, float]]:
    """Whole-activity seconds per Olympiatoppen zone."""
    rows = zone_time.filter(pl.col("seg_index").is_null() & (pl.col("model") == ZONE_MODEL))
    result: dict[int, dict[str, float]] = {}
    for row in rows.iter_rows(named=True):
        zones = result.setdefault(int(row["activity_id"]), {})
        zones[row["zone"]] = zones.get(row["zone"], 0.0) + float(row["seconds"])
    return result


def _reps(reps: pl.DataFrame, lactate: pl.DataFrame) -> dict[int, list[dict[str, object]]]:
    """Work reps per activity in time order, with the lactate reading taken after each."""
    readings = lactate.group_by("activity_id", "set_no", "rep_no").agg(pl.col("mmol").max())
    joined = reps.join(readings, on=["activity_id", "set_no", "rep_no"], how="left")
    result: dict[int, list[dict[str, object]]] = {}
    for row in joined.sort("activity_id", "start_utc").iter_rows(named=True):
        result.setdefault(int(row["activity_id"]), []).append(row)
    return result


def _outing(
    rows: list[dict[str, object]],
    zones: dict[int, dict[str, float]],
    reps: dict[int, list[dict[str, object]]],
    confidence: dict[int, float] | None = None,
) -> Outing:
    """Merge the files of one outing into one session."""
    first = rows[0]
    types = [str(r["session_type"]) for r in rows if r["session_type"] is not None]
    kind = min(types, key=_type_rank) if len(types) == len(rows) else None
    main = max(rows, key=lambda r: (_num(r["work_s"]), _num(r["distance_m"])))
    outing_reps = _outing_reps(rows, reps, blocks=kind == "threshold")
    return Outing(
        outing_id=int(str(first["outing_id"])),
        activity_ids=tuple(int(str(r["activity_id"])) for r in rows),
        local_date=_date(first["local_date"]),
        half_day=str(
            first["half_day"] or ("AM" if _time(first["start_local"]).hour < 12 else "PM")
        ),
        start_local=_time(first["start_local"]),
        end_local=max(_time(r["end_local"]) for r in rows),
        sport=str(main["sport"]),
        session_type=kind,
        structure=_opt_str(main["structure"]),
        distance_m=sum(_num(r["distance_m"]) for r in rows),
        moving_s=sum(_num(r["moving_s"]) for r in rows),
        work_s=_sum_known(rows, "work_s"),
        threshold_s=_sum_known(rows, "threshold_s"),
        above_s=_sum_known(rows, "above_threshold_s"),
        basis=min((str(r["intensity_basis"] or "none") for r in rows), key=_basis_rank),
        drift_hr_pct=_drift(rows, outing_reps, "drift_hr_pct", "hr"),
        drift_pace_pct=_drift(rows, outing_reps, "drift_pace_pct", "pace_s_per_km"),
        has_hr=any(r["avg_hr"] is not None for r in rows),
        recordings=max(int(str(r["recordings"] or 1)) for r in rows),
        zones=_merge_zones(rows, zones),
        reps=outing_reps,
        reason="; ".join(dict.fromkeys(str(r["reason"]) for r in rows if r["reason"])),
        confidence=(confidence or {}).get(int(str(main["activity_id"]))),
    )


def rep_groups(reps: tuple[Rep, ...] | list[Rep]) -> list[tuple[str, list[Rep]]]:
    """Consecutive reps of like length (within 25 %), each group named '~1000 m' or '~6:00'.

    Distance reps and time reps of different length are never compared on one axis.
    """
    groups: list[list[Rep]] = []
    for rep in reps:
        head = groups[-1][0] if groups else None
        if (
            head is not None
            and _alike(head.duration_s, rep.duration_s)
            and _alike(head.distance_m, rep.distance_m)
        ):
            groups[-1].append(rep)
        else:
            groups.append([rep])
    return [(_group_name(group), group) for group in groups]


def _alike(a: float | None, b: float | None) -> bool:
    if not a or not b:
        return a == b
    return abs(a - b) <= 0.25 * max(a, b)


def _group_name(reps: list[Rep]) -> str:
    """'~1000 m' when the reps share a round distance, else their median time '~6:00'."""
    distances = sorted(r.distance_m or 0 for r in reps)
    rounded = {_round_distance(d) for d in distances}
    if len(rounded) == 1 and None not in rounded:
        metres = rounded.pop() or 0
        return f"~{metres / 1000:g} km" if metres >= 2000 else f"~{metres} m"
    times = sorted(r.duration_s or 0 for r in reps)
    seconds = round(times[len(times) // 2] / 5) * 5
    return f"~{seconds // 60}:{seconds % 60:02d}"


def _confidence(structures: pl.DataFrame) -> dict[int, float]:
    """The structure label's confidence per activity, where the detector stored one."""
    known = structures.drop_nulls("confidence")
    return dict(zip(known["activity_id"].to_list(), known["confidence"].to_list(), strict=True))


def _round_distance(metres: float) -> int | None:
    """Metres rounded to a distance people set reps by (100 m steps; 50 under 500), or None."""
    step = 50 if metres < 500 else 100
    rounded = round(metres / step) * step
    return int(rounded) if rounded and abs(metres - rounded) <= 0.04 * rounded else None


def _outing_reps(
    rows: list[dict[str, object]], reps: dict[int, list[dict[str, object]]], blocks: bool
) -> tuple[Rep, ...]:
    """Reps of an outing across its files; with `blocks`, a file of work without reps is one."""
    result: list[Rep] = []
    for row in rows:
        aid = int(str(row["activity_id"]))
        own = reps.get(aid, [])
        if own:
            start = len(result)
            result.extend(_rep(start + i + 1, aid, r) for i, r in enumerate(own))
        elif blocks and _num(row["work_s"]) > 0:
            result.append(_block_rep(len(result) + 1, aid, row))
    return tuple(result)


def _rep(number: int, activity_id: int, row: dict[str, object]) -> Rep:
    speed = _opt_num(row["avg_speed_mps"])
    hr = _opt_num(row["avg_hr_2nd_half"]) or _opt_num(row["avg_hr"])
    return Rep(
        number,
        activity_id,
        _opt_num(row["duration_s"]),
        _opt_num(row["distance_m"]),
        1000 / speed if speed and speed > 0.3 else None,
        hr,
        _opt_num(row["mmol"]),
        _opt_num(row["avg_hr"]),
        _opt_num(row["avg_hr_2nd_half"]),
        row["start_utc"] if isinstance(row["start_utc"], dt.datetime) else None,
    )


def _block_rep(number: int, activity_id: int, row: dict[str, object]) -> Rep:
    """A block saved as its own file: the whole file is the rep."""
    distance, moving = _num(row["distance_m"]), _num(row["moving_s"])
    pace = moving / distance * 1000 if distance > 10 and moving > 0 else None
    hr = _opt_num(row["avg_hr"])
    return Rep(number, activity_id, moving, distance, pace, hr, None, hr)


def _drift(
    rows: list[dict[str, object]], reps: tuple[Rep, ...], column: str, attribute: str
) -> float | None:
    """The outing's drift from the session typing; else across its block reps.

    The typing stores one drift per outing (on its main file): the last third of
    the reps vs the first third, in % (positive: HR up, or pace slower). Outings
    whose reps are whole files get the same measure here, from those files.
    """
    known = [_opt_num(r[column]) for r in rows if r[column] is not None]
    if known:
        return known[0]
    series = [getattr(rep, attribute) for rep in reps]
    if len(series) < 3 or any(value is None for value in series):
        return None
    width = max(len(series) // 3, 1)
    first = sum(series[:width]) / width
    last = sum(series[-width:]) / width
    return (last - first) / first * 100 if first else None


def _merge_zones(
    rows: list[dict[str, object]], zones: dict[int, dict[str, float]]
) -> dict[str, float]:
    merged: dict[str, float] = {}
    for row in rows:
        for zone, seconds in zones.get(int(str(row["activity_id"])), {}).items():
            merged[zone] = merged.get(zone, 0.0) + seconds
    return merged


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
        load=sum(o.load for o in report.outings),
        fitness=end.fitness if end else None,
        fatigue=end.fatigue if end else None,
        form=end.form if end else None,
    )


def _conform(frame: pl.DataFrame | None, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """A frame with exactly `schema`'s columns and types (missing columns as nulls)."""
    if frame is None:
        return pl.DataFrame(schema=schema)
    columns = [
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in schema.items()
    ]
    return frame.select(columns)


def _half_day(start: dt.datetime) -> str:
    return "AM" if start.hour < 12 else "PM"


def _type_rank(kind: str) -> int:
    return TYPE_ORDER.index(kind) if kind in TYPE_ORDER else len(TYPE_ORDER)


def _basis_rank(basis: str) -> int:
    return BASIS_ORDER.index(basis) if basis in BASIS_ORDER else len(BASIS_ORDER)


def _sum_known(rows: list[dict[str, object]], column: str) -> float | None:
    values = [_opt_num(r[column]) for r in rows]
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _opt_num(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _opt_str(value: object) -> str | None:
    return str(value) if value is not None else None


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"not a date: {value!r}")


def _time(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    raise TypeError(f"not a datetime: {value!r}")
