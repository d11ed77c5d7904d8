"""Lactate readings: find each one's activity and rep, store it, and re-type its day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from terskel.analysis.athlete import attach_readings
from terskel.jobs.analyze import AthleteProfile, context, type_days
from terskel.sources.lactate import Reading
from terskel.store import Store

READING_SCHEMA: dict[str, pl.DataType] = {
    "activity_id": pl.Int64(),
    "set_no": pl.Int32(),
    "rep_no": pl.Int32(),
    "taken_at": pl.Datetime("us"),
    "mmol": pl.Float64(),
    "note": pl.String(),
    "source": pl.String(),
}


@dataclass
class AddOutcome:
    """What adding readings did: stored rows (with their rep) and one line per problem."""

    stored: pl.DataFrame = field(default_factory=pl.DataFrame)
    errors: list[str] = field(default_factory=list)


class ReadingError(ValueError):
    """A reading that cannot be placed; the message is one line."""


def add_readings(
    store: Store, readings: list[Reading], source: str, profile: AthleteProfile
) -> AddOutcome:
    """Place and store readings, then re-type the sessions of their days."""
    outcome = AddOutcome()
    rows = []
    for reading in readings:
        try:
            rows.append(_placed(store, reading, source))
        except ReadingError as exc:
            where = f"line {reading.line}: " if reading.line else ""
            outcome.errors.append(f"{where}{exc}")
    frame = pl.DataFrame(rows, schema=READING_SCHEMA)
    if frame.is_empty():
        return outcome
    ids = frame["activity_id"].unique().to_list()
    numbered = frame.with_columns(reading_id=pl.int_range(pl.len(), dtype=pl.Int64))
    attached = attach_readings(numbered, store.intervals(ids))
    with store.transaction():
        store.add_lactate(attached.select(list(READING_SCHEMA)))
    outcome.stored = attached
    dates = store.local_dates(ids)["local_date"].to_list()
    type_days(store, context(store, profile), dates)
    return outcome


def _placed(store: Store, reading: Reading, source: str) -> dict[str, Any]:
    """The stored row of one reading: activity, rep (when known) and UTC time."""
    row: dict[str, Any] = {"mmol": reading.mmol, "note": reading.note, "source": source}
    if reading.activity is not None:
        activity = store.activity(reading.activity)
        if activity is None:
            raise ReadingError(f"no activity {reading.activity} in the store")
        set_no, rep_no = _nth_rep(store, reading.activity, reading.rep or 0)
        return row | {"activity_id": reading.activity, "set_no": set_no, "rep_no": rep_no}
    assert reading.timestamp is not None
    return row | _by_time(store, reading.timestamp)


def _nth_rep(store: Store, activity_id: int, n: int) -> tuple[int, int]:
    """(set_no, rep_no) of the n-th work rep of an activity, counting across sets."""
    work = store.intervals([activity_id]).filter(pl.col("kind") == "work")
    if work.is_empty():
        raise ReadingError(
            f"activity {activity_id} has no reps to attach a reading to; give its time instead"
        )
    if not 1 <= n <= work.height:
        raise ReadingError(f"activity {activity_id} has {work.height} reps, not {n}")
    row = work.row(n - 1, named=True)
    return int(row["set_no"]), int(row["rep_no"])


def _by_time(store: Store, when: dt.datetime) -> dict[str, Any]:
    """Activity and UTC instant of a timed reading (naive times are local)."""
    if when.tzinfo is not None:
        utc = when.astimezone(dt.UTC).replace(tzinfo=None)
        activity_id = store.activity_at(utc)
    else:
        activity_id = store.activity_at(when, local=True)
        utc = None
    if activity_id is None:
        raise ReadingError(f"no activity at {when.isoformat()} (or up to 15 min before)")
    if utc is None:
        activity = store.activity(activity_id) or {}
        utc = when - dt.timedelta(seconds=int(activity.get("utc_offset_s") or 0))
    return {"activity_id": activity_id, "set_no": None, "rep_no": None, "taken_at": utc}


def at_time_of_day(activity: dict[str, Any], clock: dt.time) -> dt.datetime:
    """The local datetime of a time of day on an activity's date (after midnight: next day)."""
    start: dt.datetime = activity["start_local"]
    when = dt.datetime.combine(start.date(), clock)
    return when + dt.timedelta(days=1) if when < start - dt.timedelta(hours=1) else when
