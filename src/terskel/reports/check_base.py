"""What every weekly check is made of: the `Check` outcome, the `Week` it looks at,
grading a value against a template band, and the wording shared by the reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from terskel.models import Band, Template
from terskel.reports.outing import Outing

Status = Literal["ok", "near", "off", "unknown", "n/a"]


@dataclass(frozen=True)
class Check:
    """One check's outcome."""

    key: str
    title: str
    value: float | None
    unit: str
    target_min: float | None
    target_max: float | None
    status: Status
    reason: str
    sessions: tuple[int, ...] = ()

    @property
    def target(self) -> str:
        """The target as text: '150-180 km', '>= 80 %', '<= 3 %', '4', or '-'."""
        return band_text(Band(min=self.target_min, max=self.target_max), self.unit)


@dataclass(frozen=True)
class Week:
    """What the checks look at: this week, the week before, the polarity window."""

    outings: tuple[Outing, ...]
    previous: tuple[Outing, ...]
    window: tuple[Outing, ...]
    template: Template
    has_target: bool
    scaled: bool = True  # False: no target and no running to scale the km-bound targets to

    @property
    def runs(self) -> tuple[Outing, ...]:
        return tuple(o for o in self.outings if o.running)

    @property
    def threshold(self) -> tuple[Outing, ...]:
        return tuple(o for o in self.runs if o.session_type == "threshold")

    @property
    def not_analysed(self) -> tuple[Outing, ...]:
        return tuple(o for o in self.runs if o.session_type is None)


def grade(value: float, band: Band, near: float) -> Status:
    """ok inside the band; near within `near` (a fraction of the edge) outside it."""
    low, high = band.min, band.max
    eps = 1e-9 * max(abs(value), 1.0)  # scaled edges carry float error: 63/180*180 != 63
    if (low is None or value >= low - eps) and (high is None or value <= high + eps):
        return "ok"
    if low is not None and value < low:
        return "near" if value >= low * (1 - near) else "off"
    assert high is not None
    return "near" if value <= high * (1 + near) else "off"


def grade_count(value: int, band: Band) -> Status:
    """Counts: ok inside the band, near one away, off further or when none at all."""
    low, high = band.min, band.max
    if (low is None or value >= low) and (high is None or value <= high):
        return "ok"
    if value == 0 and low is not None and low >= 1:
        return "off"
    miss = (low - value) if low is not None and value < low else value - (high or 0)
    return "near" if miss <= 1 else "off"


def band_text(band: Band, unit: str) -> str:
    """A band for people: '150-180 km', '>= 80 %', '<= 3 %', '4', '-'."""
    suffix = f" {unit}" if unit else ""
    low, high = band.min, band.max
    if low is None and high is None:
        return "-"
    if low is not None and high is not None:
        if low == high:
            return f"{_n(low)}{suffix}"
        return f"{_n(low)}-{_n(high)}{suffix}"
    if low is not None:
        return f"> 0{suffix}" if low == 0 else f">= {_n(low)}{suffix}"
    return f"<= {_n(high or 0)}{suffix}"


def _n(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def in_percent(band: Band) -> Band:
    """A share band (0-1) in percent."""
    return Band(
        min=None if band.min is None else band.min * 100,
        max=None if band.max is None else band.max * 100,
    )


def make_check(
    key: str, title: str, value: float | None, unit: str, band: Band, status: Status,
    reason: str, sessions: Iterable[Outing] = (),
) -> Check:  # fmt: skip
    ids = tuple(o.outing_id for o in sessions)
    return Check(key, title, value, unit, band.min, band.max, status, reason, ids)


def named(outings: Iterable[Outing], detail: Callable[[Outing], str] | None = None) -> str:
    """Sessions by name, with an optional detail each."""
    parts = [f"{o.name} {detail(o)}" if detail else o.name for o in outings]
    return ", ".join(parts) if parts else "none"


def unanalysed(week: Week) -> str | None:
    """The reason a type-based check cannot be measured, if any."""
    if week.not_analysed:
        count = len(week.not_analysed)
        return f"{count} run{'s' if count > 1 else ''} not analysed yet (run `terskel analyze`)"
    return None


def minutes_text(seconds: float | None) -> str:
    """'12 min', or '40 s' under a minute (so a small value is never shown as 0 min)."""
    if seconds and seconds < 59.5:
        return f"{seconds:.0f} s"
    return f"{(seconds or 0) / 60:.0f} min"
