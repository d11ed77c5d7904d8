"""The weekly report as the stable JSON shape.

JSON shape (`terskel report week --format json`), stable for scripts:

    {"week": "2026-W12", "first_day": "2026-03-16", "last_day": "2026-03-22",
     "template": {"name": str, "description": str,
                  "scale": {"weekly_km": float | null, "source": "target" | "own" | "none"}},
     "summary": {"ok": int, "near": int, "off": int, "unknown": int, "n/a": int},
     "sessions": [{"id": int, "activity_ids": [int], "date": "YYYY-MM-DD", "half_day": "AM",
                   "start_local": "YYYY-MM-DDTHH:MM:SS", "sport": str, "type": str | null,
                   "structure": str | null, "label": str, "distance_km": float,
                   "moving_s": float, "threshold_min": float | null,
                   "above_threshold_min": float | null, "intensity_basis": str,
                   "drift_hr_pct": float | null, "zones_s": {"I1": float, ...},
                   "recordings": int, "load": float, "load_basis": "zones" | "type",
                   "confidence": float | null,
                   "reps": [{"rep": int, "group": "~1000 m" | "~6:00", "duration_s": float,
                             "distance_m": float, "pace_s_per_km": float | null,
                             "avg_hr": float | null, "hr_2nd_half": float | null,
                             "lactate": float | null}]}],
     "checks": [{"check": str, "title": str, "value": float | null, "unit": str,
                 "target": str, "target_min": float | null, "target_max": float | null,
                 "status": "ok" | "near" | "off" | "unknown" | "n/a",
                 "reason": str, "sessions": [int]}],
     "load": {"method": str, "fitness_days": 42, "fatigue_days": 7,
              "days": [{"date": "YYYY-MM-DD", "load": float, "fitness": float,
                        "fatigue": float, "form": float}]}}

`sessions` in a check are the `id`s of the sessions behind it (outings: the
files of one outing share one id). Trend JSON (`report weeks --format json`) is
a list of {"week", "distance_km", "moving_s", "runs", "threshold_sessions",
"double_days", "dose_min", "longest_km", "summary", "zones_s", "load", "fitness",
"fatigue", "form"} (fitness, fatigue and form as of the week's Sunday).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from terskel.reports.check_base import Check
from terskel.reports.load import FATIGUE_DAYS, FITNESS_DAYS, LOAD_METHOD, session_load
from terskel.reports.outing import ZONES, Outing, rep_groups
from terskel.reports.weekly import WeekReport, WeekRow


def week_json(report: WeekReport) -> dict[str, Any]:
    """The stable JSON document of one week (shape in the module docstring)."""
    return {
        "week": report.week,
        "first_day": report.first_day.isoformat(),
        "last_day": (report.first_day + dt.timedelta(days=6)).isoformat(),
        "template": {
            "name": report.template.name,
            "description": report.template.description,
            "scale": {"weekly_km": _r(report.scale.weekly_km, 1), "source": report.scale.source},
        },
        "summary": report.counts(),
        "sessions": [_session_json(o) for o in report.outings],
        "checks": [_check_json(c) for c in report.checks],
        "load": {
            "method": LOAD_METHOD,
            "fitness_days": FITNESS_DAYS,
            "fatigue_days": FATIGUE_DAYS,
            "days": [
                {
                    "date": d.day.isoformat(),
                    "load": round(d.load, 1),
                    "fitness": round(d.fitness, 1),
                    "fatigue": round(d.fatigue, 1),
                    "form": round(d.form, 1),
                }
                for d in report.load
            ],
        },
    }


def _session_json(outing: Outing) -> dict[str, Any]:
    score, basis = session_load(outing)
    return {
        "id": outing.outing_id,
        "activity_ids": list(outing.activity_ids),
        "date": outing.local_date.isoformat(),
        "half_day": outing.half_day,
        "start_local": outing.start_local.replace(microsecond=0).isoformat(),
        "sport": outing.sport,
        "type": outing.session_type,
        "structure": outing.structure,
        "label": outing.label,
        "distance_km": round(outing.distance_m / 1000, 2),
        "moving_s": round(outing.moving_s, 1),
        "threshold_min": _r(_min(outing.threshold_s), 1),
        "above_threshold_min": _r(_min(outing.above_s), 1),
        "intensity_basis": outing.basis,
        "drift_hr_pct": _r(outing.drift_hr_pct, 1),
        "zones_s": {z: round(outing.zones[z], 1) for z in ZONES if z in outing.zones},
        "recordings": outing.recordings,
        "load": round(score, 1),
        "load_basis": basis,
        "confidence": _r(outing.confidence, 2),
        "reps": [
            {"rep": r.number, "group": name, "duration_s": _r(r.duration_s, 1),
             "distance_m": _r(r.distance_m, 1), "pace_s_per_km": _r(r.pace_s_per_km, 1),
             "avg_hr": _r(r.avg_hr, 0), "hr_2nd_half": _r(r.hr_2nd_half, 0),
             "lactate": _r(r.lactate, 1)}
            for name, group in rep_groups(outing.reps) for r in group
        ],
    }  # fmt: skip


def _check_json(check: Check) -> dict[str, Any]:
    return {
        "check": check.key,
        "title": check.title,
        "value": _r(check.value, 1),
        "unit": check.unit,
        "target": check.target,
        "target_min": _r(check.target_min, 1),
        "target_max": _r(check.target_max, 1),
        "status": check.status,
        "reason": check.reason,
        "sessions": list(check.sessions),
    }


def trend_json(rows: list[WeekRow]) -> list[dict[str, Any]]:
    """The multi-week trend as a list of objects."""
    return [
        {
            "week": row.week,
            "distance_km": round(row.distance_km, 1),
            "moving_s": round(row.moving_s),
            "runs": row.runs,
            "threshold_sessions": row.threshold_sessions,
            "double_days": row.double_days,
            "dose_min": _r(row.dose_min, 0),
            "longest_km": round(row.longest_km, 1),
            "summary": row.counts,
            "zones_s": {z: round(s) for z, s in row.zones_s.items()},
            "load": round(row.load, 1),
            "fitness": _r(row.fitness, 1),
            "fatigue": _r(row.fatigue, 1),
            "form": _r(row.form, 1),
        }
        for row in rows
    ]


def _min(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
