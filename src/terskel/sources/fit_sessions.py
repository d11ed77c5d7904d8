"""A decoded FIT file shaped as Sessions: sessions split out, times made real UTC with
the local offset, records as samples and lap messages as laps (SI units, degrees).

`fit` decodes the bytes into a `RawFit`; this module knows nothing of decoders.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from terskel.sources.model import Session
from terskel.sources.units import (
    LAP_SCHEMA,
    SAMPLE_SCHEMA,
    json_safe,
    steps_per_minute_sports,
    zone_offset,
)

# Seconds between the Unix epoch and the FIT epoch (1989-12-31T00:00:00Z).
FIT_EPOCH_OFFSET = 631065600
# FIT date_time values below this are device-relative ("system time").
FIT_MIN_REAL_TIME = 0x10000000 + FIT_EPOCH_OFFSET


@dataclass
class RawFit:
    """Decoder output before it is shaped: metadata messages and record columns."""

    messages: dict[str, list[dict[Any, Any]]]
    records: pl.DataFrame
    decoder: str
    warnings: list[str]


def shape_sessions(raw: RawFit, fallback_tz: str | None) -> list[Session]:
    """Split records and laps by session; a multisport file gives several."""
    samples_all = _samples(raw.records)
    sessions = raw.messages.get("session") or [_session_from_records(samples_all, raw)]
    sessions = _distinct_sessions(sessions)
    shift, offset, source = _time_base(raw, samples_all, fallback_tz)
    laps_all = _laps(raw.messages.get("lap", []))
    out = []
    for index, summary in enumerate(sessions):
        start = summary["start_time"]
        end = _session_end(summary)
        if len(sessions) == 1:
            samples, laps = samples_all, laps_all
        else:
            samples = _between(samples_all, "t", start, end)
            laps = _between(laps_all, "start_utc", start, end - dt.timedelta(seconds=1))
        sport = enum_text(summary.get("sport")) or "generic"
        out.append(_session(index, summary, sport, samples, laps, shift, offset, source))
    return out


def _session(
    index: int,
    summary: dict[str, Any],
    sport: str,
    samples: pl.DataFrame,
    laps: pl.DataFrame,
    shift: dt.timedelta,
    offset: int,
    offset_source: str,
) -> Session:
    """Build one Session, converting cadence and device-relative times."""
    if sport in steps_per_minute_sports():
        samples = samples.with_columns(pl.col("cadence_spm") * 2)
    if shift:
        samples = samples.with_columns(pl.col("t") + shift)
        laps = laps.with_columns(pl.col("start_utc") + shift, pl.col("end_utc") + shift)
    avg_cadence = _num(summary.get("avg_running_cadence") or summary.get("avg_cadence"))
    if avg_cadence is not None and sport in steps_per_minute_sports():
        avg_cadence = 2 * (avg_cadence + (_num(summary.get("avg_fractional_cadence")) or 0))
    return Session(
        index=index,
        sport=sport,
        sub_sport=enum_text(summary.get("sub_sport")),
        start_utc=(summary["start_time"] + shift).replace(tzinfo=None),
        utc_offset_s=offset,
        utc_offset_source=offset_source,
        elapsed_s=_num(summary.get("total_elapsed_time")),
        timer_s=_num(summary.get("total_timer_time")),
        distance_m=_num(summary.get("total_distance")),
        avg_hr=_num(summary.get("avg_heart_rate")) or _num(samples["heart_rate"].mean()),
        max_hr=_num(summary.get("max_heart_rate")) or _num(samples["heart_rate"].max()),
        avg_speed_mps=_num(summary.get("enhanced_avg_speed") or summary.get("avg_speed")),
        max_speed_mps=_num(summary.get("enhanced_max_speed") or summary.get("max_speed")),
        avg_cadence_spm=avg_cadence,
        avg_power_w=_num(summary.get("avg_power")),
        total_ascent_m=_num(summary.get("total_ascent")),
        calories=_num(summary.get("total_calories")),
        summary=json_safe(summary),
        laps=laps,
        samples=samples,
    )


def _session_from_records(samples: pl.DataFrame, raw: RawFit) -> dict[str, Any]:
    """A stand-in session for a file cut off before its session message."""
    raw.warnings.append("no session message (file cut short); summary computed from records")
    if samples.is_empty():
        return {}
    start = samples["t"].min()
    end = samples["t"].max()
    assert isinstance(start, dt.datetime) and isinstance(end, dt.datetime)
    sport_msg = (raw.messages.get("sport") or [{}])[0]
    distance = samples["distance_m"].drop_nulls().max()
    return {
        "start_time": start.replace(tzinfo=dt.UTC),
        "timestamp": end.replace(tzinfo=dt.UTC),
        "total_elapsed_time": (end - start).total_seconds(),
        "total_distance": distance,
        "avg_heart_rate": samples["heart_rate"].mean(),
        "max_heart_rate": samples["heart_rate"].max(),
        "sport": sport_msg.get("sport"),
        "sub_sport": sport_msg.get("sub_sport"),
    }


def _distinct_sessions(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sessions with a start time, once each (a chained file may repeat one)."""
    seen: set[tuple[Any, Any]] = set()
    out = []
    for summary in sessions:
        key = (summary.get("start_time"), summary.get("sport"))
        if isinstance(key[0], dt.datetime) and key not in seen:
            seen.add(key)
            out.append(summary)
    return out


def _session_end(summary: dict[str, Any]) -> dt.datetime:
    """End of a session: its timestamp, else start plus elapsed time."""
    start: dt.datetime = summary["start_time"]
    elapsed = _num(summary.get("total_elapsed_time")) or 0.0
    end = summary.get("timestamp")
    by_elapsed = start + dt.timedelta(seconds=elapsed)
    if isinstance(end, dt.datetime) and end >= by_elapsed:
        return end
    return by_elapsed


def _between(
    frame: pl.DataFrame, column: str, start: dt.datetime, end: dt.datetime
) -> pl.DataFrame:
    """Rows whose `column` lies in [start, end] (naive UTC comparison)."""
    lo, hi = start.replace(tzinfo=None), end.replace(tzinfo=None)
    return frame.filter(pl.col(column).is_between(lo, hi))


def _time_base(
    raw: RawFit, samples: pl.DataFrame, fallback_tz: str | None
) -> tuple[dt.timedelta, int, str]:
    """(shift to real UTC, local UTC offset in s, where the offset came from)."""
    activity = (raw.messages.get("activity") or [{}])[0]
    utc, local = activity.get("timestamp"), activity.get("local_timestamp")
    first = samples["t"].min() if not samples.is_empty() else None
    relative = isinstance(first, dt.datetime) and first.replace(tzinfo=dt.UTC).timestamp() < (
        FIT_MIN_REAL_TIME
    )
    if isinstance(utc, dt.datetime) and isinstance(local, dt.datetime):
        delta = local - utc
        if relative and local.timestamp() >= FIT_MIN_REAL_TIME:
            # Device clock never set: only local time is real. Convert it with the
            # configured zone (or this machine's) to get UTC.
            offset = zone_offset(local.replace(tzinfo=None), fallback_tz)
            return delta - dt.timedelta(seconds=offset), offset, _zone_source(fallback_tz)
        offset = round(delta.total_seconds() / 900) * 900
        if abs(offset) <= 14 * 3600:
            return dt.timedelta(0), offset, "device"
    if isinstance(first, dt.datetime):
        return dt.timedelta(0), zone_offset(first, fallback_tz), _zone_source(fallback_tz)
    return dt.timedelta(0), 0, _zone_source(fallback_tz)


def _zone_source(tz_name: str | None) -> str:
    """Where a non-device offset came from."""
    return "config" if tz_name else "system"


def _samples(records: pl.DataFrame) -> pl.DataFrame:
    """Record columns to the store's sample shape (SI units, degrees)."""
    # fitfast columns: timestamp (epoch s), distance, enhanced_speed, heart_rate,
    # cadence, fractional_cadence, enhanced_altitude, power, position_lat/long (deg)
    cols = set(records.columns)

    def first(*names: str) -> pl.Expr:
        present = [pl.col(n) for n in names if n in cols]
        if not present:
            return pl.lit(None, dtype=pl.Float64)
        return pl.coalesce(present).fill_nan(None)

    cadence = first("cadence")
    if "fractional_cadence" in cols:
        cadence = cadence + pl.col("fractional_cadence").fill_nan(0.0)
    if "timestamp" not in cols or records.is_empty():
        return pl.DataFrame(schema=SAMPLE_SCHEMA)
    frame = records.filter(pl.col("timestamp").is_not_nan()).select(
        t=pl.from_epoch((pl.col("timestamp") * 1000).round().cast(pl.Int64), time_unit="ms"),
        distance_m=first("distance"),
        speed_mps=first("enhanced_speed", "speed"),
        heart_rate=first("heart_rate"),
        cadence_spm=cadence,
        altitude_m=first("enhanced_altitude", "altitude"),
        power_w=first("power"),
        lat=first("position_lat"),
        lon=first("position_long"),
    )
    # chained files can repeat records; keep the first sample of each instant
    frame = frame.unique(subset="t", keep="first", maintain_order=True)
    return frame.cast(SAMPLE_SCHEMA)  # type: ignore[arg-type]


def _laps(laps: list[dict[str, Any]]) -> pl.DataFrame:
    """Lap messages to the store's lap shape."""
    # {'start_time': datetime(2022, 11, 23, 15, 35, 52), 'timestamp': ..., 'total_elapsed_time':
    #  319.27, 'total_timer_time': 319.27, 'total_distance': 1000.0, 'enhanced_avg_speed':
    #  3.132, 'avg_heart_rate': 158, 'intensity': 'active', 'lap_trigger': 'distance',
    #  'wkt_step_index': 1, ...}
    rows = []
    for index, lap in enumerate(laps):
        start = lap.get("start_time")
        if not isinstance(start, dt.datetime):
            continue
        elapsed = _num(lap.get("total_elapsed_time")) or 0.0
        rows.append(
            {
                "lap_index": index,
                "start_utc": start.replace(tzinfo=None),
                "end_utc": start.replace(tzinfo=None) + dt.timedelta(seconds=elapsed),
                "elapsed_s": elapsed,
                "timer_s": _num(lap.get("total_timer_time")),
                "distance_m": _num(lap.get("total_distance")),
                "avg_speed_mps": _num(lap.get("enhanced_avg_speed") or lap.get("avg_speed")),
                "max_speed_mps": _num(lap.get("enhanced_max_speed") or lap.get("max_speed")),
                "avg_hr": _num(lap.get("avg_heart_rate")),
                "max_hr": _num(lap.get("max_heart_rate")),
                "avg_cadence": _num(lap.get("avg_running_cadence") or lap.get("avg_cadence")),
                "avg_power_w": _num(lap.get("avg_power")),
                "intensity": enum_text(lap.get("intensity")),
                "lap_trigger": enum_text(lap.get("lap_trigger")),
                "wkt_step_index": _int(lap.get("wkt_step_index")),
            }
        )
    frame = pl.DataFrame(rows, schema=LAP_SCHEMA)
    return frame.unique(subset="start_utc", keep="first", maintain_order=True)


def _num(value: Any) -> float | None:
    """A finite float, or None for missing/invalid values."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return None
    number = float(value)
    return number if np.isfinite(number) else None


def _int(value: Any) -> int | None:
    """An int, or None."""
    number = _num(value)
    return int(number) if number is not None else None


def enum_text(value: Any) -> str | None:
    """Enum names and strings as text; unknown numeric enums as their number."""
    if value is None:
        return None
    return str(value)
