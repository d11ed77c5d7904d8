"""What sources hand to the store: sessions with their streams, wrapped as uploads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class Session:
    """One activity as a source delivers it: typed summary, laps and samples."""

    index: int
    sport: str
    sub_sport: str | None
    start_utc: dt.datetime
    utc_offset_s: int
    utc_offset_source: str
    elapsed_s: float | None
    timer_s: float | None
    distance_m: float | None
    avg_hr: float | None
    max_hr: float | None
    avg_speed_mps: float | None
    max_speed_mps: float | None
    avg_cadence_spm: float | None
    avg_power_w: float | None
    total_ascent_m: float | None
    calories: float | None
    summary: dict[str, Any]
    laps: pl.DataFrame
    samples: pl.DataFrame


@dataclass(frozen=True)
class Upload:
    """One source's record of an activity, ready for the store to link or create."""

    source: str  # fit | strava | garmin | strava_export
    source_id: str  # unique within the source: fit '<sha256>:<session>', strava activity id
    session: Session
    device: str | None
    raw_json: Any  # the payload as the source sent it (FIT: the session message)
    path: str | None = None  # where the file came from
    file_sha256: str | None = None  # with `content`: the original file, kept in <store>.raw/
    content: bytes | None = None
    decoder: str | None = None
    warnings: tuple[str, ...] = ()
    # FIT: the HR settings the watch had (sources/fit_device.py)
    device_markers: Mapping[str, float] = field(default_factory=dict)
