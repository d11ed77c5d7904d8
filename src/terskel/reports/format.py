"""Small formatters shared by reports: durations, paces, timestamps."""

from __future__ import annotations

import datetime as dt


def duration(seconds: float | None) -> str:
    """Seconds as h:mm:ss (or m:ss under an hour); empty when unknown."""
    if seconds is None:
        return ""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def pace(distance_m: float | None, seconds: float | None) -> str:
    """Minutes per kilometre as m:ss/km; empty when it cannot be computed."""
    if not distance_m or not seconds or distance_m < 10:
        return ""
    per_km = seconds / (distance_m / 1000)
    minutes, secs = divmod(round(per_km), 60)
    return f"{minutes}:{secs:02d}/km"


def utc_iso(value: dt.datetime) -> str:
    """A naive UTC datetime as ISO-8601 with a Z."""
    return value.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def local_iso(utc: dt.datetime, offset_s: int) -> str:
    """The local time of a UTC instant, ISO-8601 with its offset."""
    zone = dt.timezone(dt.timedelta(seconds=offset_s))
    return utc.replace(tzinfo=dt.UTC, microsecond=0).astimezone(zone).isoformat()
