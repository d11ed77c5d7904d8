"""Shared shapes of what sources yield: sample and lap columns in SI units."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

# One row per recorded sample, as recorded (1 s or smart-recording gaps).
SAMPLE_SCHEMA: dict[str, pl.DataType] = {
    "t": pl.Datetime("ms"),  # UTC
    "distance_m": pl.Float64(),
    "speed_mps": pl.Float64(),
    "heart_rate": pl.Float64(),  # bpm
    "cadence_spm": pl.Float64(),  # steps/min for foot sports, rpm otherwise
    "altitude_m": pl.Float64(),
    "power_w": pl.Float64(),
    "lat": pl.Float64(),  # degrees
    "lon": pl.Float64(),  # degrees
}

LAP_SCHEMA: dict[str, pl.DataType] = {
    "lap_index": pl.Int32(),
    "start_utc": pl.Datetime("ms"),
    "end_utc": pl.Datetime("ms"),
    "elapsed_s": pl.Float64(),
    "timer_s": pl.Float64(),
    "distance_m": pl.Float64(),
    "avg_speed_mps": pl.Float64(),
    "max_speed_mps": pl.Float64(),
    "avg_hr": pl.Float64(),
    "max_hr": pl.Float64(),
    "avg_cadence": pl.Float64(),
    "avg_power_w": pl.Float64(),
    "intensity": pl.String(),  # active / rest / warmup / cooldown (workout laps)
    "lap_trigger": pl.String(),  # manual / distance / time / session_end ...
    "wkt_step_index": pl.Int32(),
}

_FOOT_SPORTS = frozenset({"running", "walking", "hiking", "training", "generic"})


def steps_per_minute_sports() -> frozenset[str]:
    """Sports whose FIT cadence counts one foot (strides/min) and is doubled to steps/min."""
    return _FOOT_SPORTS


def json_safe(value: Any) -> Any:
    """A decoded message as JSON-serialisable data (datetimes as ISO, bytes as hex)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return value.hex()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def zone_offset(utc: dt.datetime, tz_name: str | None) -> int:
    """UTC offset in seconds of `tz_name` (or the machine's zone) at a UTC instant.

    For files that carry no offset: the configured zone, else this machine's.
    """
    aware = utc.replace(tzinfo=dt.UTC)
    local = aware.astimezone(ZoneInfo(tz_name)) if tz_name else aware.astimezone()
    offset = local.utcoffset()
    return int(offset.total_seconds()) if offset else 0
