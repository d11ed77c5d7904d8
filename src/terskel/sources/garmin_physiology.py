"""Garmin Connect's physiology payloads (lactate threshold, heart-rate zone settings) as
dated athlete-threshold rows. Pure: `garmin.physiology` fetches the payloads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

# Garmin sends the lactate-threshold speed as seconds per metre (an inverse pace):
# 0.369 is 6:09/km, i.e. 2.71 m/s (see Taxuspt/garmin_mcp#281). Values outside
# this range are dropped rather than guessed.
PLAUSIBLE_SPEED_MPS = (1.0, 7.0)
PLAUSIBLE_HR = (25.0, 250.0)
PLAUSIBLE_POWER_W = (50.0, 1000.0)


@dataclass(frozen=True)
class Physiology:
    """The raw payloads the athlete's threshold markers come from (None: not available)."""

    lactate: dict[str, Any] | None
    zones: list[dict[str, Any]] | None


def threshold_rows(payloads: Physiology, fetched_on: dt.date) -> list[dict[str, Any]]:
    """Dated athlete-threshold rows (source "garmin") from Garmin's physiology payloads."""
    rows = _lactate_rows(payloads.lactate or {}, fetched_on)
    zone_rows = _zone_rows(payloads.zones or [], fetched_on)
    have = {row["marker"] for row in rows}
    return rows + [row for row in zone_rows if row["marker"] not in have]


def _lactate_rows(lactate: dict[str, Any], fetched_on: dt.date) -> list[dict[str, Any]]:
    """lt2_hr, threshold_speed_mps and threshold_power_w from `get_lactate_threshold()`."""
    # {"speed_and_heart_rate": {"userProfilePK": 1, "version": 1747697284085,
    #    "calendarDate": "2025-05-19T22:08:04.0", "sequence": 1747697284085,
    #    "speed": 0.3472222, "heartRate": 168, "heartRateCycling": None},
    #  "power": {"functionalThresholdPower": 344, "calendarDate": "2025-05-19",
    #    "weight": 70.0, "powerToWeight": 4.91, "sport": "RUNNING"}}
    shr = lactate.get("speed_and_heart_rate") or {}
    power = lactate.get("power") or {}
    when = _date(shr.get("calendarDate"), fetched_on)
    speed = _number(shr.get("speed"))
    rows = [
        _row("lt2_hr", _number(shr.get("heartRate")), when, PLAUSIBLE_HR, "lactate threshold"),
        _row(
            "threshold_speed_mps",
            1.0 / speed if speed else None,
            when,
            PLAUSIBLE_SPEED_MPS,
            f"lactate threshold speed (Garmin sent {speed} s/m)",
        ),
        _row(
            "threshold_power_w",
            _number(power.get("functionalThresholdPower")),
            _date(power.get("calendarDate"), fetched_on),
            PLAUSIBLE_POWER_W,
            "running threshold power",
        ),
    ]
    return [row for row in rows if row]


def _zone_rows(zones: list[dict[str, Any]], fetched_on: dt.date) -> list[dict[str, Any]]:
    """max_hr, resting_hr (and lt2_hr) as the heart-rate zone settings use them today."""
    # [{"trainingMethod": "HR_RESERVE", "restingHeartRateUsed": 42,
    #   "lactateThresholdHeartRateUsed": 170, "zone1Floor": 130, ..., "zone5Floor": 170,
    #   "maxHeartRateUsed": 185, "restingHrAutoUpdateUsed": false, "sport": "DEFAULT"}]
    by_sport = {str(z.get("sport")): z for z in zones if isinstance(z, dict)}
    zone = by_sport.get("RUNNING") or by_sport.get("DEFAULT")
    if zone is None:
        return []
    note = f"heart-rate zones ({zone.get('sport')}, {zone.get('trainingMethod')})"
    keys = {
        "max_hr": "maxHeartRateUsed",
        "resting_hr": "restingHeartRateUsed",
        "lt2_hr": "lactateThresholdHeartRateUsed",
    }
    rows = [
        _row(marker, _number(zone.get(key)), fetched_on, PLAUSIBLE_HR, note)
        for marker, key in keys.items()
    ]
    return [row for row in rows if row]


def _row(
    marker: str,
    value: float | None,
    when: dt.date,
    plausible: tuple[float, float],
    note: str,
) -> dict[str, Any] | None:
    """One threshold row, or None when the value is missing or not believable."""
    if value is None or not plausible[0] <= value <= plausible[1]:
        return None
    return {
        "source": "garmin",
        "marker": marker,
        "value": round(value, 4),
        "effective_from": when,
        "note": f"Garmin Connect: {note}",
    }


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None


def _date(value: Any, default: dt.date) -> dt.date:
    """The date of '2025-05-19' or '2025-05-19T22:08:04.0'; `default` when absent."""
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return default
