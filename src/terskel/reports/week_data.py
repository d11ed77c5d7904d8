"""The store's rows a week report reads (`WeekData`) and the outings merged from them.

Inputs are the store's tables as rows (dicts; see the `*_SCHEMA` dicts): activities,
the `sessions` typing (one row per activity), whole-activity `zone_time`, work
reps from `intervals`, and `lactate`. Files of one outing (warm-up, blocks and
cool-down saved separately) share an `outing_id` and are judged as one session.
Plain Python, not polars: a text report reads a few hundred rows, and importing
polars was ~0.1 s of its ~0.5 s (issue 14). Frames are taken too (`WeekData.of`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from terskel.reports.outing import Outing, Rep

if TYPE_CHECKING:
    import polars as pl

Row = dict[str, Any]
Rows = Sequence[Mapping[str, Any]]

# Column -> Python type of each input (what the store's DuckDB types read as).
ACTIVITY_SCHEMA: dict[str, type] = {
    "activity_id": int,
    "sport": str,
    "start_local": dt.datetime,
    "elapsed_s": float,
    "timer_s": float,
    "distance_m": float,
    "avg_hr": float,
    "recordings": int,
}
# analysis.sessions.SESSION_SCHEMA, as Python types (tests/reports/test_weekly.py compares)
SESSION_SCHEMA: dict[str, type] = {
    "activity_id": int,
    "outing_id": int,
    "local_date": dt.date,
    "iso_week": str,
    "half_day": str,
    "sport": str,
    "session_type": str,
    "structure": str,
    "distance_m": float,
    "moving_s": float,
    "work_s": float,
    "threshold_s": float,
    "above_threshold_s": float,
    "intensity_basis": str,
    "drift_hr_pct": float,
    "drift_pace_pct": float,
    "reason": str,
    "disputed": bool,
}
ZONE_SCHEMA: dict[str, type] = {
    "activity_id": int,
    "seg_index": int,
    "model": str,
    "zone": str,
    "seconds": float,
}
REP_SCHEMA: dict[str, type] = {
    "activity_id": int,
    "set_no": int,
    "rep_no": int,
    "start_utc": dt.datetime,
    "duration_s": float,
    "distance_m": float,
    "avg_speed_mps": float,
    "avg_hr": float,
    "avg_hr_2nd_half": float,
}
# `confidence` (0-1) comes with the interval detector's labels; older stores lack it.
STRUCTURE_SCHEMA: dict[str, type] = {
    "activity_id": int,
    "confidence": float,
}
LACTATE_SCHEMA: dict[str, type] = {
    "activity_id": int,
    "set_no": int,
    "rep_no": int,
    "mmol": float,
}

# Zone model the report reads (threshold-model.md section 2).
ZONE_MODEL = "olympiatoppen"
# When one outing has several typed files, the outing takes the first type here.
TYPE_ORDER = ("race", "threshold", "vo2", "x_element", "long", "easy", "unknown", "other_sport")
BASIS_ORDER = ("lactate", "hr", "power", "pace", "none")


@dataclass(frozen=True)
class WeekData:
    """The store's rows a report needs (any span of weeks; the report picks its own)."""

    activities: list[Row]
    sessions: list[Row]
    zone_time: list[Row]
    reps: list[Row]
    lactate: list[Row]
    structures: list[Row]

    @classmethod
    def empty(cls) -> WeekData:
        """No rows at all (an empty store)."""
        return cls.of()

    @classmethod
    def of(
        cls,
        activities: Rows | pl.DataFrame | None = None,
        sessions: Rows | pl.DataFrame | None = None,
        zone_time: Rows | pl.DataFrame | None = None,
        reps: Rows | pl.DataFrame | None = None,
        lactate: Rows | pl.DataFrame | None = None,
        structures: Rows | pl.DataFrame | None = None,
    ) -> WeekData:
        """Rows (or frames) coerced to the report's schemas (missing columns as None)."""
        return cls(
            _conform(activities, ACTIVITY_SCHEMA),
            _conform(sessions, SESSION_SCHEMA),
            _conform(zone_time, ZONE_SCHEMA),
            _conform(reps, REP_SCHEMA),
            _conform(lactate, LACTATE_SCHEMA),
            _conform(structures, STRUCTURE_SCHEMA),
        )


def all_outings(data: WeekData) -> list[Outing]:
    """Every outing in the data, in time order."""
    files = _files(data)
    zones = _zones(data.zone_time)
    reps = _reps(data.reps, data.lactate)
    confidence = _confidence(data.structures)
    groups: dict[int, list[Row]] = {}
    for row in files:
        groups.setdefault(int(row["outing_id"]), []).append(row)
    outings = [_outing(rows, zones, reps, confidence) for rows in groups.values()]
    return sorted(outings, key=lambda o: o.start_local)


_NO_SESSION: Row = dict.fromkeys(SESSION_SCHEMA)


def _files(data: WeekData) -> list[Row]:
    """One row per activity: its typing when analysed, else what the activity says."""
    typed = {row["activity_id"]: row for row in data.sessions}
    files = []
    for activity in data.activities:
        session = typed.get(activity["activity_id"], _NO_SESSION)
        row = {**activity, **{k: v for k, v in session.items() if k != "activity_id"}}
        row["session_sport"], row["session_distance_m"] = session["sport"], session["distance_m"]
        elapsed = _first(activity["elapsed_s"], activity["timer_s"], 0.0)
        row.update(
            outing_id=_first(session["outing_id"], activity["activity_id"]),
            local_date=_first(session["local_date"], activity["start_local"].date()),
            sport=_first(session["sport"], activity["sport"]),
            distance_m=_first(session["distance_m"], activity["distance_m"], 0.0),
            moving_s=_first(session["moving_s"], activity["timer_s"], activity["elapsed_s"], 0.0),
            # as polars adds a duration of float seconds: whole microseconds, truncated
            end_local=activity["start_local"] + dt.timedelta(microseconds=int(elapsed * 1e6)),
        )
        files.append(row)
    return sorted(files, key=lambda row: row["start_local"])


def _first(*values: Any) -> Any:
    """The first value that is not None (SQL's coalesce)."""
    return next((v for v in values if v is not None), None)


def _zones(zone_time: list[Row]) -> dict[int, dict[str, float]]:
    """Whole-activity seconds per Olympiatoppen zone."""
    result: dict[int, dict[str, float]] = {}
    for row in zone_time:
        if row["seg_index"] is None and row["model"] == ZONE_MODEL:
            zones = result.setdefault(int(row["activity_id"]), {})
            zones[row["zone"]] = zones.get(row["zone"], 0.0) + float(row["seconds"])
    return result


def _reps(reps: list[Row], lactate: list[Row]) -> dict[int, list[Row]]:
    """Work reps per activity in time order, with the lactate reading taken after each."""
    readings: dict[tuple[Any, ...], float | None] = {}
    for reading in lactate:
        key = (reading["activity_id"], reading["set_no"], reading["rep_no"])
        mmol, known = reading["mmol"], readings.get(key)
        readings[key] = known if mmol is None or (known is not None and known >= mmol) else mmol
    result: dict[int, list[Row]] = {}
    for rep in sorted(reps, key=_rep_order):
        key = (rep["activity_id"], rep["set_no"], rep["rep_no"])
        mmol = None if None in key else readings.get(key)  # null keys join nothing
        result.setdefault(int(rep["activity_id"]), []).append({**rep, "mmol": mmol})
    return result


def _rep_order(rep: Row) -> tuple[Any, ...]:
    """By activity, then start (a missing start first, as polars sorts nulls)."""
    start = rep["start_utc"]
    return (rep["activity_id"], start is not None, start or dt.datetime.min)


def _outing(
    rows: list[Row],
    zones: dict[int, dict[str, float]],
    reps: dict[int, list[Row]],
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


def _confidence(structures: list[Row]) -> dict[int, float]:
    """The structure label's confidence per activity, where the detector stored one."""
    return {
        row["activity_id"]: row["confidence"] for row in structures if row["confidence"] is not None
    }


def _outing_reps(rows: list[Row], reps: dict[int, list[Row]], blocks: bool) -> tuple[Rep, ...]:
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


def _drift(rows: list[Row], reps: tuple[Rep, ...], column: str, attribute: str) -> float | None:
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


def _merge_zones(rows: list[Row], zones: dict[int, dict[str, float]]) -> dict[str, float]:
    merged: dict[str, float] = {}
    for row in rows:
        for zone, seconds in zones.get(int(str(row["activity_id"])), {}).items():
            merged[zone] = merged.get(zone, 0.0) + seconds
    return merged


def _conform(rows: Rows | pl.DataFrame | None, schema: dict[str, type]) -> list[Row]:
    """Rows with exactly `schema`'s columns (missing ones None); an int where a float
    belongs becomes a float (and the reverse), as a frame's cast does."""
    if rows is None:
        return []
    found: Iterable[Mapping[str, Any]] = rows if isinstance(rows, Sequence) else rows.to_dicts()
    numbers = [(name, kind) for name, kind in schema.items() if kind in (int, float)]
    result = []
    for row in found:
        values = {name: row.get(name) for name in schema}
        for name, kind in numbers:
            value = values[name]
            if isinstance(value, int | float) and not isinstance(value, bool | kind):
                values[name] = kind(value)
        result.append(values)
    return result


def _type_rank(kind: str) -> int:
    return TYPE_ORDER.index(kind) if kind in TYPE_ORDER else len(TYPE_ORDER)


def _basis_rank(basis: str) -> int:
    return BASIS_ORDER.index(basis) if basis in BASIS_ORDER else len(BASIS_ORDER)


def _sum_known(rows: list[Row], column: str) -> float | None:
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
