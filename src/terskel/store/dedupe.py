"""When two recordings are one run, and which stream to keep."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # polars loads where frames are built: `query` reads none
    import polars as pl


MAX_START_GAP = dt.timedelta(minutes=2)
MAX_DISTANCE_DIFF = 0.05


@dataclass(frozen=True)
class Recording:
    """The facts the dedupe rule compares: when, how long, how far."""

    start_utc: dt.datetime
    elapsed_s: float | None
    distance_m: float | None


def same_activity(a: Recording, b: Recording) -> bool:
    """Start within 2 min, overlapping in time, distance within 5 %: one real activity."""
    if abs(a.start_utc - b.start_utc) > MAX_START_GAP:
        return False
    end_a = a.start_utc + dt.timedelta(seconds=a.elapsed_s or 0)
    end_b = b.start_utc + dt.timedelta(seconds=b.elapsed_s or 0)
    if min(end_a, end_b) <= max(a.start_utc, b.start_utc):
        return False
    if a.distance_m and b.distance_m:
        longer = max(a.distance_m, b.distance_m)
        return abs(a.distance_m - b.distance_m) <= MAX_DISTANCE_DIFF * longer
    # without distance on both sides (treadmill, swim without GPS) rely on time alone
    return not (a.distance_m or b.distance_m)


def stream_quality(samples: pl.DataFrame, elapsed_s: float | None) -> float:
    """Score a sample stream: channels present, then recording density (1 s beats smart)."""
    import polars as pl

    if samples.is_empty():
        return 0.0
    weights = {
        "heart_rate": 4.0,
        "speed_mps": 2.0,
        "distance_m": 2.0,
        "lat": 1.0,
        "power_w": 1.0,
        "cadence_spm": 0.5,
        "altitude_m": 0.5,
    }
    present = samples.select(pl.col(list(weights)).is_not_null().mean()).row(0)
    channels = sum(w * (share > 0.5) for w, share in zip(weights.values(), present, strict=True))
    density = min(samples.height / max(elapsed_s or samples.height, 1.0), 1.0)
    return float(channels + density)
