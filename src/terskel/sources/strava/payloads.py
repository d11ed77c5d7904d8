"""Strava's payloads as terskel's shapes: a DetailedActivity, its laps and streams as a
Session and a store upload; the summary fingerprint that tells an edited activity.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from terskel.sources.model import Session, Upload
from terskel.sources.strava.errors import BadPayload
from terskel.sources.units import LAP_SCHEMA, SAMPLE_SCHEMA, steps_per_minute_sports

SOURCE = "strava"
# The summary fields whose change means "edited upstream: fetch again".
FINGERPRINT_FIELDS = (
    "start_date",
    "type",
    "sport_type",
    "name",
    "distance",
    "elapsed_time",
    "moving_time",
    "manual",
    "trainer",
    "workout_type",
    "total_elevation_gain",
    "average_heartrate",
)


def fingerprint(summary: dict[str, Any]) -> str:
    """A short hash of the summary fields whose change means the activity was edited."""
    values = [summary.get(name) for name in FINGERPRINT_FIELDS]
    return hashlib.sha1(json.dumps(values, default=str).encode()).hexdigest()[:16]


def check_detail(payload: Any, activity_id: int) -> dict[str, Any]:
    """The detail if it is one activity with a readable start; BadPayload otherwise."""
    # {"id": 99895560, "start_date": "2013-12-12T19:36:41Z", "type": "Run", ...}
    if not isinstance(payload, dict):
        kind = type(payload).__name__
        raise BadPayload(f"activity {activity_id}: Strava sent a {kind}, not an activity")
    if not _readable_time(payload.get("start_date")):
        raise BadPayload(f"activity {activity_id}: the detail has no readable start_date")
    if str(payload.get("id")) != str(activity_id):
        raise BadPayload(f"activity {activity_id}: Strava sent activity {payload.get('id')}")
    return payload


def _readable_time(value: Any) -> bool:
    try:
        return isinstance(value, str) and isinstance(parse_time(value), dt.datetime)
    except ValueError:
        return False


def needs_laps_request(detail: dict[str, Any]) -> bool:
    """Old API answers carry no `laps` in the detail; current ones do (saving a request)."""
    return "laps" not in detail


def needs_streams_request(detail: dict[str, Any]) -> bool:
    """Manual activities have no streams."""
    return not detail.get("manual", False)


def upload_from_payloads(
    detail: dict[str, Any], laps: list[dict[str, Any]], streams: Any, summary_fp: str
) -> Upload:
    """One Strava activity as a store upload; raw_json is the detail plus laps and streams."""
    session = session_from_payloads(detail, laps, streams)
    raw = {**detail, "laps": laps, "streams": streams, "_fingerprint": summary_fp}
    return Upload(
        source=SOURCE,
        source_id=str(detail["id"]),
        session=session,
        device=_text(detail.get("device_name")),
        raw_json=raw,
        decoder="strava-api",
    )


def session_from_payloads(
    detail: dict[str, Any], laps: list[dict[str, Any]], streams: Any
) -> Session:
    """A DetailedActivity, its laps and streams as the common Session shape."""
    # {"id": 99895560, "type": "Run", "sport_type": "Run", "start_date": "2013-12-12T19:36:41Z",
    #  "start_date_local": "2013-12-12T11:36:41Z", "timezone": "(GMT-08:00) America/Los_Angeles",
    #  "utc_offset": -28800, "distance": 5781.1, "elapsed_time": 3140, "moving_time": 2892,
    #  "average_speed": 2.0, "max_speed": 8.3, "average_heartrate": 140.2, "calories": 537.9, ...}
    start = parse_time(detail["start_date"])
    sport, sub_sport = sport_of(detail)
    foot = sport in steps_per_minute_sports()
    cadence = _num(detail.get("average_cadence"))
    return Session(
        index=0,
        sport=sport,
        sub_sport=sub_sport,
        start_utc=start,
        utc_offset_s=utc_offset(detail, start),
        utc_offset_source=SOURCE,
        elapsed_s=_num(detail.get("elapsed_time")),
        timer_s=_num(detail.get("moving_time")),
        distance_m=_num(detail.get("distance")),
        avg_hr=_num(detail.get("average_heartrate")),
        max_hr=_num(detail.get("max_heartrate")),
        avg_speed_mps=_num(detail.get("average_speed")),
        max_speed_mps=_num(detail.get("max_speed")),
        avg_cadence_spm=cadence * 2 if cadence is not None and foot else cadence,
        avg_power_w=_num(detail.get("average_watts")),
        total_ascent_m=_num(detail.get("total_elevation_gain")),
        calories=_num(detail.get("calories")),
        summary={k: v for k, v in detail.items() if not isinstance(v, list | dict)},
        laps=laps_frame(laps),
        samples=samples_frame(streams, start, foot),
    )


def parse_time(text: str) -> dt.datetime:
    """Strava's ISO time ('2013-12-12T19:36:41Z') as naive UTC."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def utc_offset(detail: dict[str, Any], start_utc: dt.datetime) -> int:
    """Local offset in s: `utc_offset`, else local minus UTC start, else the named zone."""
    offset = detail.get("utc_offset")
    if isinstance(offset, int | float) and not isinstance(offset, bool):
        return int(offset)
    local = detail.get("start_date_local")
    if isinstance(local, str):
        return round((parse_time(local) - start_utc).total_seconds() / 900) * 900
    return _zone_offset(detail.get("timezone"), start_utc)


def _zone_offset(label: Any, start_utc: dt.datetime) -> int:
    # "(GMT-08:00) America/Los_Angeles"
    if not isinstance(label, str):
        return 0
    try:
        zone = ZoneInfo(label.split(")")[-1].strip())
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    delta = start_utc.replace(tzinfo=dt.UTC).astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta else 0


# Strava sport_type -> (FIT-style sport, sub_sport), so reports group sources alike.
_SPORTS: dict[str, tuple[str, str | None]] = {
    "Run": ("running", None),
    "TrailRun": ("running", "trail"),
    "VirtualRun": ("running", "virtual_activity"),
    "Walk": ("walking", None),
    "Hike": ("hiking", None),
    "Ride": ("cycling", None),
    "VirtualRide": ("cycling", "virtual_activity"),
    "MountainBikeRide": ("cycling", "mountain"),
    "GravelRide": ("cycling", "gravel_cycling"),
    "EBikeRide": ("cycling", "e_bike_fitness"),
    "Swim": ("swimming", None),
    "NordicSki": ("cross_country_skiing", None),
    "BackcountrySki": ("cross_country_skiing", "backcountry"),
    "RollerSki": ("cross_country_skiing", "roller_skiing"),
    "AlpineSki": ("alpine_skiing", None),
    "WeightTraining": ("training", "strength_training"),
    "Workout": ("training", None),
    "Crossfit": ("training", "cardio_training"),
    "Yoga": ("training", "yoga"),
    "Elliptical": ("fitness_equipment", "elliptical"),
    "StairStepper": ("fitness_equipment", "stair_climbing"),
    "Rowing": ("rowing", None),
}


def sport_of(detail: dict[str, Any]) -> tuple[str, str | None]:
    """(sport, sub_sport) of an activity; a treadmill run is running/treadmill."""
    kind = str(detail.get("sport_type") or detail.get("type") or "")
    sport, sub = _SPORTS.get(kind, (_snake(kind) or "generic", None))
    if sport == "running" and sub is None and detail.get("trainer"):
        sub = "treadmill"
    return sport, sub


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def stream_data(streams: Any) -> dict[str, list[Any]]:
    """Streams in either API form as {type: values}."""
    # key_by_type: {"time": {"data": [0, 1, ...], "series_type": "distance", ...}, ...}
    # native list: [{"type": "time", "data": [0, 1, ...], "series_type": "distance"}, ...]
    if isinstance(streams, dict):
        items = [(k, v) for k, v in streams.items()]
    elif isinstance(streams, list):
        items = [(s.get("type"), s) for s in streams if isinstance(s, dict)]
    else:
        return {}
    return {
        str(kind): list(value["data"])
        for kind, value in items
        if isinstance(value, dict) and isinstance(value.get("data"), list)
    }


def samples_frame(streams: Any, start_utc: dt.datetime, foot: bool) -> pl.DataFrame:
    """Streams as samples in SAMPLE_SCHEMA (cadence doubled to steps/min for foot sports)."""
    data = stream_data(streams)
    times = data.get("time") or []
    if not times:
        return pl.DataFrame(schema=SAMPLE_SCHEMA)
    size = len(times)

    def column(kind: str) -> pl.Series:
        values = data.get(kind)
        if values is None or len(values) != size:
            values = [None] * size
        return pl.Series(kind, values, dtype=pl.Float64, strict=False)

    latlng = data.get("latlng") or []
    points = latlng if len(latlng) == size else [None] * size
    start_ms = int(start_utc.replace(tzinfo=dt.UTC).timestamp() * 1000)
    cadence = column("cadence")
    frame = pl.DataFrame(
        {
            "t": column("time") * 1000 + start_ms,
            "distance_m": column("distance"),
            "speed_mps": column("velocity_smooth"),
            "heart_rate": column("heartrate"),
            "cadence_spm": cadence * 2 if foot else cadence,
            "altitude_m": column("altitude"),
            "power_w": column("watts"),
            "lat": pl.Series([_coord(p, 0) for p in points], dtype=pl.Float64),
            "lon": pl.Series([_coord(p, 1) for p in points], dtype=pl.Float64),
        }
    )
    frame = frame.filter(pl.col("t").is_not_null()).with_columns(
        pl.from_epoch(pl.col("t").round().cast(pl.Int64), time_unit="ms").alias("t")
    )
    frame = frame.unique(subset="t", keep="first", maintain_order=True).sort("t")
    return frame.cast(SAMPLE_SCHEMA)  # type: ignore[arg-type]


def _coord(point: Any, index: int) -> float | None:
    if isinstance(point, list | tuple) and len(point) == 2:
        return _num(point[index])
    return None


def laps_frame(laps: list[dict[str, Any]]) -> pl.DataFrame:
    """Strava Lap objects as LAP_SCHEMA rows (cadence as sent, like FIT laps)."""
    # {"id": 429913783, "name": "Lap 1", "elapsed_time": 6219, "moving_time": 5118,
    #  "start_date": "2013-09-28T17:27:59Z", "distance": 25109.4, "average_speed": 4.0,
    #  "max_speed": 8.9, "average_watts": 70.0, "lap_index": 1, ...}
    rows = []
    for index, lap in enumerate(laps or []):
        if not isinstance(lap, dict) or not isinstance(lap.get("start_date"), str):
            continue
        start = parse_time(lap["start_date"])
        elapsed = _num(lap.get("elapsed_time")) or 0.0
        rows.append(
            {
                "lap_index": index,
                "start_utc": start,
                "end_utc": start + dt.timedelta(seconds=elapsed),
                "elapsed_s": elapsed,
                "timer_s": _num(lap.get("moving_time")),
                "distance_m": _num(lap.get("distance")),
                "avg_speed_mps": _num(lap.get("average_speed")),
                "max_speed_mps": _num(lap.get("max_speed")),
                "avg_hr": _num(lap.get("average_heartrate")),
                "max_hr": _num(lap.get("max_heartrate")),
                "avg_cadence": _num(lap.get("average_cadence")),
                "avg_power_w": _num(lap.get("average_watts")),
                "intensity": None,
                "lap_trigger": None,
                "wkt_step_index": None,
            }
        )
    return pl.DataFrame(rows, schema=LAP_SCHEMA)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if number == number and abs(number) != float("inf") else None


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
