"""GPX and TCX track files as samples and laps (SI units, naive UTC), for the Strava export.

No database access here; a file that cannot be read raises TrackError.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import polars as pl

from terskel.sources.units import LAP_SCHEMA, SAMPLE_SCHEMA


class TrackError(Exception):
    """A GPX or TCX file that cannot be read; the message is one line for the user."""


def gpx_samples(data: bytes) -> pl.DataFrame:
    """GPX track points as samples: HR, cadence and power from the Garmin extensions."""
    # <trkpt lat="43.8" lon="9.7"><ele>218.4</ele><time>2017-11-19T11:23:07.000Z</time>
    #   <extensions><ns3:TrackPointExtension><ns3:hr>113</ns3:hr><ns3:cad>21</ns3:cad>
    #   </ns3:TrackPointExtension><power>250</power></extensions></trkpt>
    import gpxpy
    import gpxpy.gpx

    try:
        gpx = gpxpy.parse(data.decode("utf-8", errors="replace"))
    except gpxpy.gpx.GPXException as exc:
        raise TrackError(f"unreadable GPX ({exc})") from exc
    rows = []
    distance, previous = 0.0, None
    for track in gpx.tracks:
        for segment in track.segments:
            for point in segment.points:
                if point.time is None:
                    continue
                if previous is not None:
                    distance += point.distance_2d(previous) or 0.0
                previous = point
                rows.append(_gpx_row(point, distance))
    return _samples(rows, derive_speed=True)


def _gpx_row(point: Any, distance: float) -> dict[str, Any]:
    extras = _gpx_extensions(point.extensions)
    return {
        "t": _utc(point.time),
        "distance_m": distance,
        "speed_mps": None,
        "heart_rate": extras.get("hr"),
        "cadence_spm": extras.get("cad"),
        "altitude_m": point.elevation,
        "power_w": extras.get("power"),
        "lat": point.latitude,
        "lon": point.longitude,
    }


def _gpx_extensions(elements: list[Any]) -> dict[str, float]:
    """hr, cad and power values found in a point's extension elements (any namespace)."""
    found: dict[str, float] = {}
    for element in elements:
        for node in element.iter():
            local = str(node.tag).rsplit("}", 1)[-1].lower()
            if local in ("hr", "cad", "power") and node.text:
                try:
                    found[local] = float(node.text)
                except ValueError:
                    continue
    return found


def tcx_samples(data: bytes) -> tuple[pl.DataFrame, pl.DataFrame]:
    """TCX track points and laps (HR, cadence, speed and watts from its extensions)."""
    # <Trackpoint><Time>2022-07-16T16:08:25.000Z</Time><Position>...</Position>
    #   <DistanceMeters>0.75</DistanceMeters><HeartRateBpm><Value>96</Value></HeartRateBpm>
    #   <Extensions><ns3:TPX><ns3:Speed>0.268</ns3:Speed><ns3:RunCadence>88</ns3:RunCadence>
    from xml.etree.ElementTree import ParseError

    from tcxreader.tcxreader import TCXReader  # type: ignore[import-untyped]

    try:
        exercise = TCXReader().read(io.BytesIO(data), only_gps=False)
    except (ParseError, ValueError, KeyError) as exc:
        raise TrackError(f"unreadable TCX ({type(exc).__name__}: {exc})") from exc
    rows = [_tcx_row(point) for point in exercise.trackpoints if point.time is not None]
    return _samples(rows, derive_speed=False), _tcx_laps(exercise.laps)


def _tcx_row(point: Any) -> dict[str, Any]:
    ext = point.tpx_ext or {}
    return {
        "t": _utc(point.time),
        "distance_m": point.distance,
        "speed_mps": ext.get("Speed"),
        "heart_rate": point.hr_value,
        "cadence_spm": point.cadence if point.cadence is not None else ext.get("RunCadence"),
        "altitude_m": point.elevation,
        "power_w": ext.get("Watts"),
        "lat": point.latitude,
        "lon": point.longitude,
    }


def _tcx_laps(laps: list[Any]) -> pl.DataFrame:
    rows = []
    for index, lap in enumerate(laps):
        points = [p for p in lap.trackpoints if p.time is not None]
        if not points:
            continue
        start, end = _utc(points[0].time), _utc(points[-1].time)
        elapsed = (end - start).total_seconds()
        distance = lap.distance
        rows.append(
            {
                "lap_index": index,
                "start_utc": start,
                "end_utc": end,
                "elapsed_s": elapsed,
                "timer_s": lap.duration if lap.duration is not None else elapsed,
                "distance_m": distance,
                "avg_speed_mps": distance / elapsed if distance and elapsed > 0 else None,
                "max_speed_mps": None,
                "avg_hr": lap.hr_avg,
                "max_hr": lap.hr_max,
                "avg_cadence": lap.cadence_avg,
                "avg_power_w": None,
                "intensity": None,
                "lap_trigger": None,
                "wkt_step_index": None,
            }
        )
    return pl.DataFrame(rows, schema=LAP_SCHEMA)


def _samples(rows: list[dict[str, Any]], derive_speed: bool) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema=SAMPLE_SCHEMA)
    frame = pl.DataFrame(rows, schema=SAMPLE_SCHEMA, strict=False)
    frame = frame.unique(subset="t", keep="first", maintain_order=True).sort("t")
    if derive_speed or frame["speed_mps"].null_count() == frame.height:
        seconds = pl.col("t").diff().dt.total_milliseconds() / 1000
        speed = pl.col("distance_m").diff() / seconds
        frame = frame.with_columns(speed_mps=pl.when(seconds > 0).then(speed).otherwise(None))
    return frame


def _utc(moment: dt.datetime) -> dt.datetime:
    """Aware times to naive UTC; naive ones are UTC already (GPX/TCX 'Z' times)."""
    if moment.tzinfo is not None:
        return moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment
