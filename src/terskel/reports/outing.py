"""One session of the week report: an outing (the files of one outing merged) and its reps.

The shared types of the weekly report: `weekly` builds outings, `checks` judges
them, `load` scores them and the renderers show them; each imports them from here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

ZONES = ("I1", "I2", "I3", "I4", "I5")


@dataclass(frozen=True)
class Rep:
    """One work rep of a threshold session (a whole block file counts as one rep)."""

    number: int
    activity_id: int
    duration_s: float | None
    distance_m: float | None
    pace_s_per_km: float | None
    hr: float | None
    lactate: float | None
    avg_hr: float | None = None
    hr_2nd_half: float | None = None
    start_utc: dt.datetime | None = None


@dataclass(frozen=True)
class Outing:
    """One session: the files of one outing merged (all sports)."""

    outing_id: int
    activity_ids: tuple[int, ...]
    local_date: dt.date
    half_day: str
    start_local: dt.datetime
    end_local: dt.datetime
    sport: str
    session_type: str | None  # None: not analysed yet
    structure: str | None
    distance_m: float
    moving_s: float
    work_s: float | None
    threshold_s: float | None
    above_s: float | None
    basis: str
    drift_hr_pct: float | None
    drift_pace_pct: float | None
    has_hr: bool
    recordings: int
    zones: dict[str, float] = field(default_factory=dict)
    reps: tuple[Rep, ...] = ()
    reason: str = ""
    confidence: float | None = None  # the structure label's, 0-1, when the detector gives one

    @property
    def running(self) -> bool:
        """True for runs (treadmill and trail are running too)."""
        return self.sport == "running"

    @property
    def hard_s(self) -> float | None:
        """Seconds in I4-I5 (Olympiatoppen zones); the typing's above-band time without zones."""
        if any(self.zones.get(z, 0) > 0 for z in ZONES):
            return self.zones.get("I4", 0.0) + self.zones.get("I5", 0.0)
        return self.above_s

    @property
    def label(self) -> str:
        """The structure when there is one, else the type and distance."""
        if self.structure and self.structure not in ("continuous", "unknown"):
            extra = f" ({len(self.activity_ids)} files)" if len(self.activity_ids) > 1 else ""
            return f"{self.structure}{extra}"
        kind = self.session_type or "not analysed"
        return f"{kind} {self.distance_m / 1000:.1f} km"

    @property
    def name(self) -> str:
        """How reasons name the session: day, date and label."""
        return f"{self.local_date:%a} {self.local_date.day}/{self.local_date.month} {self.label}"


def rep_groups(reps: tuple[Rep, ...] | list[Rep]) -> list[tuple[str, list[Rep]]]:
    """Consecutive reps of like length (within 25 %), each group named '~1000 m' or '~6:00'.

    Distance reps and time reps of different length are never compared on one axis.
    """
    groups: list[list[Rep]] = []
    for rep in reps:
        head = groups[-1][0] if groups else None
        if (
            head is not None
            and _alike(head.duration_s, rep.duration_s)
            and _alike(head.distance_m, rep.distance_m)
        ):
            groups[-1].append(rep)
        else:
            groups.append([rep])
    return [(_group_name(group), group) for group in groups]


def _alike(a: float | None, b: float | None) -> bool:
    if not a or not b:
        return a == b
    return abs(a - b) <= 0.25 * max(a, b)


def _group_name(reps: list[Rep]) -> str:
    """'~1000 m' when the reps share a round distance, else their median time '~6:00'."""
    distances = sorted(r.distance_m or 0 for r in reps)
    rounded = {_round_distance(d) for d in distances}
    if len(rounded) == 1 and None not in rounded:
        metres = rounded.pop() or 0
        return f"~{metres / 1000:g} km" if metres >= 2000 else f"~{metres} m"
    times = sorted(r.duration_s or 0 for r in reps)
    seconds = round(times[len(times) // 2] / 5) * 5
    return f"~{seconds // 60}:{seconds % 60:02d}"


def _round_distance(metres: float) -> int | None:
    """Metres rounded to a distance people set reps by (100 m steps; 50 under 500), or None."""
    step = 50 if metres < 500 else 100
    rounded = round(metres / step) * step
    return int(rounded) if rounded and abs(metres - rounded) <= 0.04 * rounded else None
