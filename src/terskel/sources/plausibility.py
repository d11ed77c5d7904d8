"""Plausibility of a decoded activity: values no real outing has mean a damaged file.

A salvaged file can decode "successfully" into nonsense: 21,000-43,000 km, an elapsed
time of 2.8e9 s, a start in 1989-1996 (the FIT epoch plus garbage). Such an activity
is quarantined with the reason returned here instead of reaching analysis and reports.
Pure functions; the bounds are arguments with defaults that say why they are safe.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from terskel.sources.model import Session, Upload

# Sports moved on foot: their average speed is bounded by human running.
FOOT_SPORTS = frozenset({"running", "walking", "hiking"})


@dataclass(frozen=True)
class Bounds:
    """Limits beyond which an activity is taken for a damaged file, not a real outing."""

    # FIT appeared in 2008 and GPS sport watches in the early 2000s; earlier dates are
    # the FIT epoch (1989-12-31) plus garbage or an unset device clock.
    earliest: dt.datetime = dt.datetime(2000, 1, 1)
    # a clock a little ahead, or a time zone mix-up, is not damage; a later date is
    future_slack: dt.timedelta = dt.timedelta(days=1)
    # beyond a sport watch's GPS battery and past anything terskel analyses
    max_elapsed_s: float = 48 * 3600
    # the longest single-file outings (24 h cycling records) are ~900 km
    max_distance_m: float = 1_000_000
    # a marathon world record averages 5.8 m/s and a 100 m sprint 10.4 m/s
    max_foot_speed_mps: float = 12.0
    # faster than any human-powered or ground travel a watch records (360 km/h)
    max_speed_mps: float = 100.0
    # a device writes file_id.time_created when the recording starts; a session
    # starting days after its own file was created has a damaged date
    created_slack: dt.timedelta = dt.timedelta(days=2)
    # below this duration an average speed says nothing (a 3-second file)
    min_seconds_for_speed: float = 60.0


DEFAULT_BOUNDS = Bounds()


def implausible(
    session: Session,
    now: dt.datetime,
    created_utc: dt.datetime | None = None,
    bounds: Bounds = DEFAULT_BOUNDS,
) -> str | None:
    """Why `session` cannot be a real activity (one line), or None when it is plausible.

    `now` is naive UTC; `created_utc` is the file's file_id.time_created when it is a
    real time (device-relative clocks give none).
    """
    reasons = [
        *_date_problems(session, now, created_utc, bounds),
        *_size_problems(session, bounds),
        *_speed_problems(session, bounds),
    ]
    return "; ".join(reasons) if reasons else None


def upload_problem(upload: Upload, now: dt.datetime, bounds: Bounds = DEFAULT_BOUNDS) -> str | None:
    """`implausible` for an upload that carries no file creation time (exports, APIs)."""
    return implausible(upload.session, now, None, bounds)


def _date_problems(
    session: Session, now: dt.datetime, created_utc: dt.datetime | None, bounds: Bounds
) -> list[str]:
    start = session.start_utc
    if start < bounds.earliest:
        return [f"dated {start:%Y-%m-%d}, before {bounds.earliest:%Y} (damaged date or clock)"]
    if start > now + bounds.future_slack:
        return [f"dated {start:%Y-%m-%d}, in the future"]
    if created_utc is not None and start > created_utc + bounds.created_slack:
        created = f"{created_utc:%Y-%m-%d}"
        return [f"starts {start:%Y-%m-%d}, days after its file was created ({created})"]
    return []


def _size_problems(session: Session, bounds: Bounds) -> list[str]:
    out = []
    for name, value in (("elapsed", session.elapsed_s), ("moving", session.timer_s)):
        if value is not None and (value < 0 or value > bounds.max_elapsed_s):
            out.append(f"{name} time {_duration(value)} (limit {_duration(bounds.max_elapsed_s)})")
    # summary values only: one stray sample timestamp (a real Strava-app file has one
    # 64 years off) is the analysis' to ignore, not a reason to hold the run back
    # the summary's distance only: a GPX track's summed distance counts every GPS jump
    distance = session.distance_m
    if distance is not None and (distance < 0 or distance > bounds.max_distance_m):
        limit = f"{bounds.max_distance_m / 1000:,.0f} km"
        out.append(f"distance {distance / 1000:,.0f} km (limit {limit})")
    return out


def _speed_problems(session: Session, bounds: Bounds) -> list[str]:
    limit = bounds.max_foot_speed_mps if session.sport in FOOT_SPORTS else bounds.max_speed_mps
    seconds = session.timer_s or session.elapsed_s
    speeds = [session.avg_speed_mps]
    if session.distance_m and seconds and seconds >= bounds.min_seconds_for_speed:
        speeds.append(session.distance_m / seconds)
    fastest = max((s for s in speeds if s is not None), default=None)
    if fastest is not None and fastest > limit:
        return [f"average speed {fastest:,.1f} m/s for {session.sport} (limit {limit:g} m/s)"]
    return []


def _duration(seconds: float) -> str:
    if abs(seconds) > 72 * 3600:
        return f"{seconds / 86400:,.0f} days"
    return f"{seconds / 3600:,.1f} h"
