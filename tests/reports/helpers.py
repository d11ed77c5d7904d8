"""Hand-built weeks with exactly the columns of the store's tables (no store needed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from terskel.reports.weekly import WeekData

MONDAY = dt.date(2026, 3, 16)  # ISO 2026-W12
WEEK = "2026-W12"


def run(
    aid: int,
    day: int,
    hour: float,
    km: float,
    minutes: float,
    kind: str | None = "easy",
    *,
    outing: int | None = None,
    work_min: float = 0.0,
    thr_min: float | None = 0.0,
    above_min: float | None = 0.0,
    drift: float | None = None,
    hr: bool = True,
    zones: dict[str, float] | None = None,
    sport: str = "running",
    recordings: int = 1,
    week_offset: int = 0,
) -> dict[str, Any]:
    """One activity (and its session row unless `kind` is None); minutes in, seconds stored."""
    start = dt.datetime.combine(MONDAY + dt.timedelta(days=day + 7 * week_offset), dt.time())
    start += dt.timedelta(hours=hour)
    return {
        "activity_id": aid, "sport": sport, "start_local": start, "elapsed_s": minutes * 60,
        "timer_s": minutes * 60, "distance_m": km * 1000, "avg_hr": 140.0 if hr else None,
        "recordings": recordings, "kind": kind, "outing_id": outing or aid,
        "work_s": work_min * 60, "threshold_s": None if thr_min is None else thr_min * 60,
        "above_threshold_s": None if above_min is None else above_min * 60,
        "basis": "hr" if hr else "none", "drift": drift, "zones": zones or {},
    }  # fmt: skip


def easy_zones(minutes: float, low_share: float = 0.95) -> dict[str, float]:
    """Seconds per zone for an easy run: `low_share` in I1-I2, the rest in I3."""
    return {"I1": minutes * 60 * low_share, "I3": minutes * 60 * (1 - low_share)}


def week_data(rows: list[dict[str, Any]]) -> WeekData:
    """Frames with the store's columns from `run` rows."""
    activities = pl.DataFrame(
        [{k: r[k] for k in ("activity_id", "sport", "start_local", "elapsed_s", "timer_s",
                            "distance_m", "avg_hr", "recordings")} for r in rows]
    )  # fmt: skip
    typed = [r for r in rows if r["kind"] is not None]
    sessions = pl.DataFrame([_session(r) for r in typed]) if typed else None
    zones = [
        {"activity_id": r["activity_id"], "seg_index": None, "model": "olympiatoppen",
         "zone": zone, "seconds": seconds}
        for r in rows for zone, seconds in r["zones"].items()
    ]  # fmt: skip
    return WeekData.of(activities, sessions, pl.DataFrame(zones) if zones else None)


def _session(r: dict[str, Any]) -> dict[str, Any]:
    start: dt.datetime = r["start_local"]
    return {
        "activity_id": r["activity_id"], "outing_id": r["outing_id"], "local_date": start.date(),
        "iso_week": start.strftime("%G-W%V"), "half_day": "AM" if start.hour < 12 else "PM",
        "sport": r["sport"], "session_type": r["kind"], "structure": None,
        "distance_m": r["distance_m"], "moving_s": r["timer_s"], "work_s": r["work_s"],
        "threshold_s": r["threshold_s"], "above_threshold_s": r["above_threshold_s"],
        "intensity_basis": r["basis"], "drift_hr_pct": r["drift"], "drift_pace_pct": None,
        "reason": f"{r['kind']} by hand",
    }  # fmt: skip


def elite_week(week_offset: int = 0) -> list[dict[str, Any]]:
    """A textbook elite base week (section 3), 180 km with doubles, X element and long run."""
    o = week_offset
    t = {"kind": "threshold", "week_offset": o, "drift": 1.5}
    return [
        run(1 + 100 * o, 0, 7, 14, 60, zones=easy_zones(60), week_offset=o),
        run(2 + 100 * o, 0, 17, 12, 52, zones=easy_zones(52), week_offset=o),
        run(3 + 100 * o, 1, 7, 18, 75, work_min=36, thr_min=33, **t),
        run(4 + 100 * o, 1, 17, 15, 62, work_min=28, thr_min=26, **t),
        run(5 + 100 * o, 2, 7, 14, 60, zones=easy_zones(60), week_offset=o),
        run(6 + 100 * o, 2, 17, 12, 52, zones=easy_zones(52), week_offset=o),
        run(7 + 100 * o, 3, 7, 18, 75, work_min=40, thr_min=37, **t),
        run(8 + 100 * o, 3, 17, 16, 66, work_min=33, thr_min=30, **t),
        run(9 + 100 * o, 4, 7, 14, 60, zones=easy_zones(60), week_offset=o),
        run(10 + 100 * o, 4, 17, 11, 48, zones=easy_zones(48), week_offset=o),
        run(11 + 100 * o, 5, 9, 10, 45, "x_element", above_min=4, week_offset=o),
        run(12 + 100 * o, 6, 9, 17, 72, "long", zones=easy_zones(72), week_offset=o),
    ]
