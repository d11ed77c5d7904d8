"""The store's rows a week report reads (`WeekData`) and the outings merged from them.

Inputs are the store's tables as frames (see the `*_SCHEMA` dicts): activities,
the `sessions` typing (one row per activity), whole-activity `zone_time`, work
reps from `intervals`, and `lactate`. Files of one outing (warm-up, blocks and
cool-down saved separately) share an `outing_id` and are judged as one session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from terskel.analysis.sessions import SESSION_SCHEMA
from terskel.reports.outing import Outing, Rep

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
# When one outing has several typed files, the outing takes the first type here.
TYPE_ORDER = ("race", "threshold", "vo2", "x_element", "long", "easy", "unknown", "other_sport")
BASIS_ORDER = ("lactate", "hr", "power", "pace", "none")


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


def _confidence(structures: pl.DataFrame) -> dict[int, float]:
    """The structure label's confidence per activity, where the detector stored one."""
    known = structures.drop_nulls("confidence")
    return dict(zip(known["activity_id"].to_list(), known["confidence"].to_list(), strict=True))


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


def _conform(frame: pl.DataFrame | None, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """A frame with exactly `schema`'s columns and types (missing columns as nulls)."""
    if frame is None:
        return pl.DataFrame(schema=schema)
    columns = [
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in schema.items()
    ]
    return frame.select(columns)


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
