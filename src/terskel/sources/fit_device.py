"""The runner's own settings a watch writes into a FIT file: max, threshold and resting HR.

Garmin watches (and some others) record the heart-rate settings the run was measured
against in `zones_target`, `user_profile` and the `time_in_zone` messages. A sample,
decoded by fitfast (garmin-trail-runner 486679397.fit, trimmed):

    zones_target: {'max_heart_rate': 189, 'threshold_heart_rate': 0,
                   'hr_calc_type': 'percent_hrr', 'functional_threshold_power': 200}
    user_profile: {'resting_heart_rate': 57, 'hr_setting': 'max', ...}
    time_in_zone: {'reference_mesg': 'session', 'hr_zone_high_boundary':
                   [94, 114, 132, 151, 169, 189], 'max_heart_rate': 189,
                   'resting_heart_rate': 57, 'threshold_heart_rate': 0, ...}

0 and 255 mean "not set". The functional threshold power of `zones_target` is the
cycling FTP on Garmin watches (200 W is its factory value), so it is not read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# FIT messages read (global numbers): user_profile, zones_target, time_in_zone
MESSAGES = (3, 7, 216)
# plausible settings, bpm; a value outside is a placeholder or a broken field
BOUNDS = {"max_hr": (120, 230), "lt2_hr": (100, 220), "resting_hr": (30, 100)}


def device_markers(messages: Mapping[str, Sequence[Mapping[Any, Any]]]) -> dict[str, float]:
    """max_hr, lt2_hr and resting_hr as the watch had them set, each only when plausible."""
    target = _first(messages.get("zones_target"))
    profile = _first(messages.get("user_profile"))
    zones = list(messages.get("time_in_zone") or [])
    in_zone = next((z for z in zones if z.get("reference_mesg") == "session"), _first(zones))
    top = _last(in_zone.get("hr_zone_high_boundary"))  # the top of zone 5 is max HR
    threshold = (target.get("threshold_heart_rate"), in_zone.get("threshold_heart_rate"))
    resting = (profile.get("resting_heart_rate"), in_zone.get("resting_heart_rate"))
    found = {
        "max_hr": _pick("max_hr", target.get("max_heart_rate"), in_zone.get("max_heart_rate"), top),
        "lt2_hr": _pick("lt2_hr", *threshold),
        "resting_hr": _pick("resting_hr", *resting),
    }
    out = {k: v for k, v in found.items() if v is not None}
    # a threshold at or above max HR (or a resting HR above it) means one of them is wrong
    if "lt2_hr" in out and out["lt2_hr"] >= out.get("max_hr", 999):
        out.pop("lt2_hr")
        out.pop("max_hr")
    if "resting_hr" in out and out["resting_hr"] >= out.get("lt2_hr", out.get("max_hr", 999)):
        out.pop("resting_hr")
    return out


def _first(rows: Sequence[Mapping[Any, Any]] | None) -> Mapping[Any, Any]:
    return rows[0] if rows else {}


def _last(values: Any) -> Any:
    return values[-1] if isinstance(values, list | tuple) and values else None


def _pick(name: str, *values: Any) -> float | None:
    """The first value within the marker's plausible bounds."""
    lo, hi = BOUNDS[name]
    for value in values:
        if isinstance(value, int | float) and not isinstance(value, bool) and lo <= value <= hi:
            return float(value)
    return None
