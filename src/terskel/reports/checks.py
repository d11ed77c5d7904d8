"""The twelve weekly checks of threshold-model.md section 4, each a small pure function.

Every check returns a value, its target, a status and one line of why naming the
sessions behind it. A check that cannot be measured (no HR, no zone markers,
runs not analysed yet) says so with status `unknown`; a check the template
switches off is `n/a`. Values are in display units: km, counts, minutes, %.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from terskel.models import Band, Template
from terskel.reports.format import duration

if TYPE_CHECKING:
    from terskel.reports.weekly import Outing

Status = Literal["ok", "near", "off", "unknown", "n/a"]
LOW_ZONES = ("I1", "I2")
ALL_ZONES = ("I1", "I2", "I3", "I4", "I5")
HARD_EXEMPT = ("x_element", "race")


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


def week_checks(
    outings: tuple[Outing, ...],
    previous: tuple[Outing, ...],
    window: tuple[Outing, ...],
    template: Template,
    has_target: bool,
    scaled: bool = True,
) -> tuple[Check, ...]:
    """All twelve checks, in the order of threshold-model.md section 4."""
    week = Week(outings, previous, window, template, has_target, scaled)
    checks = tuple(check(week) for check in CHECKS)
    if not scaled:  # no target and no running in the window: nothing to measure against
        checks = tuple(_not_scaled(c, template.reference_weekly_km) for c in checks)
        if not week.runs:
            checks = tuple(_no_runs(c) for c in checks)
    return checks


# Checks whose targets scale with weekly volume (models.SCALED).
VOLUME_BOUND = ("volume", "threshold_dose", "hard_cap")
NOT_SCALED = (
    "not judged: the template's targets are for {km:.0f} km/week and there is no "
    "[athlete] target_weekly_km nor running in the last weeks to scale them to"
)


NO_RUNS = "not judged: no runs this week (a rest week, or the runs are not imported yet)"


def _not_scaled(check: Check, reference_km: float) -> Check:
    """A volume-bound check without a volume to scale to explains instead of judging."""
    if check.key not in VOLUME_BOUND or check.status == "n/a":
        return check
    why = NOT_SCALED.format(km=reference_km)
    return Check(check.key, check.title, check.value, check.unit, None, None, "unknown",
                 f"{why}; {check.reason}", check.sessions)  # fmt: skip


def _no_runs(check: Check) -> Check:
    """Without runs, a target or recent running, no check judges; each says why."""
    if check.status in ("n/a", "unknown") or check.key == "polarity":
        return check
    return Check(check.key, check.title, check.value, check.unit, check.target_min,
                 check.target_max, "unknown", NO_RUNS, check.sessions)  # fmt: skip


# -- grading -----------------------------------------------------------------


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


def _pct(band: Band) -> Band:
    """A share band (0-1) in percent."""
    return Band(
        min=None if band.min is None else band.min * 100,
        max=None if band.max is None else band.max * 100,
    )


def _make(
    key: str, title: str, value: float | None, unit: str, band: Band, status: Status,
    reason: str, sessions: Iterable[Outing] = (),
) -> Check:  # fmt: skip
    ids = tuple(o.outing_id for o in sessions)
    return Check(key, title, value, unit, band.min, band.max, status, reason, ids)


def _names(outings: Iterable[Outing], detail: Callable[[Outing], str] | None = None) -> str:
    """Sessions by name, with an optional detail each."""
    parts = [f"{o.name} {detail(o)}" if detail else o.name for o in outings]
    return ", ".join(parts) if parts else "none"


def _unanalysed(week: Week) -> str | None:
    """The reason a type-based check cannot be measured, if any."""
    if week.not_analysed:
        count = len(week.not_analysed)
        return f"{count} run{'s' if count > 1 else ''} not analysed yet (run `terskel analyze`)"
    return None


def _minutes(seconds: float | None) -> str:
    """'12 min', or '40 s' under a minute (so a small value is never shown as 0 min)."""
    if seconds and seconds < 59.5:
        return f"{seconds:.0f} s"
    return f"{(seconds or 0) / 60:.0f} min"


# -- the checks ----------------------------------------------------------------

FLATNESS = "flatness (change vs last week)"


def weekly_volume(week: Week) -> Check:
    """Running distance and time, each run counted once across sources."""
    band, runs = week.template.weekly_km, week.runs
    km = sum(o.distance_m for o in runs) / 1000
    doubled = sum(1 for o in runs if o.recordings > 1)
    reason = f"{km:.1f} km in {len(runs)} runs, {duration(sum(o.moving_s for o in runs))} moving"
    if doubled:
        reason += f"; {doubled} recorded by several sources, counted once"
    if not band.enabled:
        return _make("volume", "weekly volume", km, "km", band, "n/a", reason, runs)
    if not week.has_target and not week.scaled:
        return _make("volume", "weekly volume", km, "km", Band(), "unknown", reason, runs)
    if not week.has_target:
        reason = (
            f"{reason}; not judged: set [athlete] target_weekly_km to compare with your own "
            "target (other targets are scaled to your recent volume meanwhile)"
        )
        return _make("volume", "weekly volume", km, "km", Band(), "unknown", reason, runs)
    status = grade(km, band, week.template.near)
    return _make("volume", "weekly volume", km, "km", band, status, reason, runs)


def threshold_sessions(week: Week) -> Check:
    """Outings typed threshold."""
    band, sessions = week.template.threshold_sessions, week.threshold
    count = len(sessions)
    reason = f"{count}: {_names(sessions)}"
    status = grade_count(count, band) if band.enabled else "n/a"
    untyped = [o for o in week.runs if o.session_type == "unknown"]
    missing = _unanalysed(week)
    if missing and status != "n/a":
        status, reason = "unknown", f"{missing}; typed so far: {reason}"
    elif untyped and band.min is not None and count < band.min:
        status = "unknown"
        reason += f"; could not type {_names(untyped)}"
    return _make("threshold_sessions", "threshold sessions", count, "", band, status, reason,
                 sessions)  # fmt: skip


def double_days(week: Week) -> Check:
    """Local dates with two threshold outings at least `double_min_gap_h` apart."""
    band, gap_h = week.template.double_threshold_days, week.template.double_min_gap_h
    by_day: dict[object, list[Outing]] = {}
    for outing in week.threshold:
        by_day.setdefault(outing.local_date, []).append(outing)
    doubles, close = [], []
    for day_outings in by_day.values():
        pair = _double_pair(sorted(day_outings, key=lambda o: o.start_local), gap_h)
        if pair:
            doubles.append(pair)
        elif len(day_outings) > 1:
            close.append(day_outings[0])
    parts = [f"{a.name} {a.half_day} + {b.label} {b.half_day}" for a, b in doubles]
    reason = f"{len(doubles)}: {', '.join(parts) or 'no day with two threshold sessions'}"
    if close:
        reason += f"; same-day threshold outings under {gap_h:g} h apart: {_names(close)}"
    status = grade_count(len(doubles), band) if band.enabled else "n/a"
    missing = _unanalysed(week)
    if missing and status != "n/a":
        status, reason = "unknown", f"{missing}; {reason}"
    involved = [o for pair in doubles for o in pair]
    return _make("double_days", "double-threshold days", len(doubles), "", band, status, reason,
                 involved)  # fmt: skip


def _double_pair(outings: list[Outing], gap_h: float) -> tuple[Outing, Outing] | None:
    """The first two outings of a day that are far enough apart to be a double."""
    for i, early in enumerate(outings):
        for late in outings[i + 1 :]:
            if (late.start_local - early.end_local).total_seconds() >= gap_h * 3600:
                return early, late
    return None


def threshold_dose(week: Week) -> Check:
    """Minutes of rep time inside the threshold band."""
    band, unit = _dose_band(week), "min"
    contributing = [o for o in week.runs if (o.threshold_s or 0) > 0]
    measured = [o for o in week.runs if o.threshold_s is not None]
    minutes = sum(o.threshold_s or 0 for o in measured) / 60
    reason = f"{minutes:.0f} min: {_names(contributing, lambda o: _minutes(o.threshold_s))}"
    blind = [o for o in week.threshold if o.threshold_s is None]
    missing = _unanalysed(week)
    if missing or (blind and not contributing):
        why = missing or f"no intensity marker for {_names(blind)}"
        return _make("threshold_dose", "threshold dose", None, unit, band, "unknown", why, blind)
    reason += _rep_time_note(week)
    status = grade(minutes, band, week.template.near) if band.enabled else "n/a"
    return _make("threshold_dose", "threshold dose", minutes, unit, band, status, reason,
                 contributing)  # fmt: skip


def _dose_band(week: Week) -> Band:
    """Weekly minutes from the template: minutes, a share of running time, or per session."""
    template = week.template
    if template.threshold_dose_min.enabled:
        return template.threshold_dose_min
    if template.threshold_dose_share.enabled:
        minutes = sum(o.moving_s for o in week.runs) / 60
        return template.threshold_dose_share.scaled(minutes)
    per, count = template.session_rep_min, template.threshold_sessions
    if per.enabled and count.enabled:
        low = per.min * count.min if per.min is not None and count.min is not None else None
        high = per.max * count.max if per.max is not None and count.max is not None else None
        return Band(min=low, max=high)
    return Band()


def _rep_time_note(week: Week) -> str:
    """Threshold sessions whose rep time is outside the template's per-session band."""
    per = week.template.session_rep_min
    if not per.enabled:
        return ""
    outside = [
        o for o in week.threshold if o.threshold_s is not None
        and grade((o.threshold_s or 0) / 60, per, 0) != "ok"
    ]  # fmt: skip
    if not outside:
        return ""
    return f"; outside {band_text(per, 'min')} per session: {_names(outside)}"


def intensity_control(week: Week) -> Check:
    """Share of threshold rep time inside the band (lactate, else HR, else pace)."""
    band = _pct(week.template.intensity_control_share)
    measured = [o for o in week.threshold if o.threshold_s is not None]
    if not week.threshold or not measured:
        why = "no threshold sessions this week" if not week.threshold else (
            f"no intensity marker for {_names(week.threshold)}")  # fmt: skip
        return _make("intensity_control", "intensity control", None, "%", band, "unknown", why)
    inside = sum(o.threshold_s or 0 for o in measured)
    total = sum(_rep_time(o) for o in measured)
    share = inside / total * 100 if total else 0.0
    bases = sorted({o.basis for o in measured})
    reason = f"{_minutes(inside)} of {_minutes(total)} in the band (by {', '.join(bases)}): " + (
        _names(measured, lambda o: f"{(o.threshold_s or 0) / max(_rep_time(o), 1) * 100:.0f} %")
    )
    status = grade(share, band, week.template.near) if band.enabled else "n/a"
    return _make("intensity_control", "intensity control", share, "%", band, status, reason,
                 measured)  # fmt: skip


def _rep_time(outing: Outing) -> float:
    """Rep time of a session; a continuous threshold run is all rep."""
    return outing.work_s if outing.work_s else outing.moving_s


def rep_drift(week: Week) -> Check:
    """HR drift, last reps vs first, per threshold session (worst shown)."""
    band = week.template.rep_drift_pct
    with_hr = [o for o in week.threshold if o.drift_hr_pct is not None]
    if not with_hr:
        return _make("rep_drift", "rep drift", None, "%", band, "unknown", _no_drift(week))
    worst = max(o.drift_hr_pct or 0 for o in with_hr)
    reason = "HR, last reps vs first: " + _names(with_hr, lambda o: f"{o.drift_hr_pct:+.1f} %")
    status = grade(worst, band, week.template.near) if band.enabled else "n/a"
    return _make("rep_drift", "rep drift", worst, "%", band, status, reason, with_hr)


def _no_drift(week: Week) -> str:
    if not week.threshold:
        return "no threshold sessions this week"
    paced = [o for o in week.threshold if o.drift_pace_pct is not None]
    note = f"; pace drift {_names(paced, lambda o: f'{o.drift_pace_pct:+.1f} %')}" if paced else ""
    if any(o.has_hr for o in week.threshold) and not any(len(o.reps) >= 2 for o in week.threshold):
        return f"no reps to compare: {_names(week.threshold)} ran continuous{note}"
    return f"no heart rate across the reps of {_names(week.threshold)}{note}"


def easy_really_easy(week: Week) -> Check:
    """Share of easy-run time (or all running, per template) in I1-I2."""
    template = week.template
    band = _pct(template.easy_low_share)
    scope = week.runs if template.easy_scope == "all" else tuple(
        o for o in week.runs if o.session_type in ("easy", "long"))  # fmt: skip
    zoned = [o for o in scope if sum(o.zones.get(z, 0) for z in ALL_ZONES) > 0]
    what = "running" if template.easy_scope == "all" else "easy-run"
    if not zoned:
        why = _unanalysed(week) or (
            f"no {what} time this week" if not scope
            else f"no HR zone time for {_names(scope)} (no HR or no HRmax marker)")  # fmt: skip
        return _make("easy", "easy really easy", None, "%", band, "unknown", why, scope)
    low = sum(o.zones.get(z, 0) for o in zoned for z in LOW_ZONES)
    total = sum(o.zones.get(z, 0) for o in zoned for z in ALL_ZONES)
    share = low / total * 100
    worst = min(zoned, key=_low_share)
    reason = (f"{share:.0f} % of {duration(total)} {what} time in I1-I2; "
              f"least easy: {worst.name} {_low_share(worst) * 100:.0f} %")  # fmt: skip
    if len(zoned) < len(scope):
        reason += f"; without zones: {_names(o for o in scope if o not in zoned)}"
    status = grade(share, band, template.near) if band.enabled else "n/a"
    return _make("easy", "easy really easy", share, "%", band, status, reason, zoned)


def _low_share(outing: Outing) -> float:
    total = sum(outing.zones.get(z, 0) for z in ALL_ZONES)
    return sum(outing.zones.get(z, 0) for z in LOW_ZONES) / total if total else 0.0


def hard_work_cap(week: Week) -> Check:
    """Minutes above threshold (I4-I5) outside X-element and race sessions."""
    band = week.template.hard_minutes
    counted = [o for o in week.runs if o.session_type not in HARD_EXEMPT]
    measured = [o for o in counted if o.hard_s is not None]
    if not measured:
        why = _unanalysed(week) or (
            "no runs this week" if not counted else f"no intensity marker for {_names(counted)}"
        )
        return _make("hard_cap", "hard-work cap", None, "min", band, "unknown", why)
    minutes = sum(o.hard_s or 0 for o in measured) / 60
    top = sorted((o for o in measured if (o.hard_s or 0) > 0), key=lambda o: -(o.hard_s or 0))
    where = _names(top[:4], lambda o: _minutes(o.hard_s)) if top else "no run went above I3"
    more = f" and {len(top) - 4} more" if len(top) > 4 else ""
    exempt = "outside X-element and race sessions"
    reason = f"{_minutes(minutes * 60)} above threshold (I4-I5) {exempt}: {where}{more}"
    if len(measured) < len(counted):
        reason += f"; not measured: {_names(o for o in counted if o.hard_s is None)}"
    status = grade(minutes, band, week.template.near) if band.enabled else "n/a"
    return _make("hard_cap", "hard-work cap", minutes, "min", band, status, reason, top[:4])


def x_element(week: Week) -> Check:
    """Short fast sessions (200 m reps, hill sprints)."""
    band = week.template.x_element
    sessions = [o for o in week.runs if o.session_type == "x_element"]
    reason = f"{len(sessions)} short fast sessions (200 m reps, hill sprints): {_names(sessions)}"
    status = grade_count(len(sessions), band) if band.enabled else "n/a"
    missing = _unanalysed(week)
    if missing and status != "n/a":
        status, reason = "unknown", f"{missing}; {reason}"
    return _make("x_element", "X element", len(sessions), "", band, status, reason, sessions)


def long_run_cap(week: Week) -> Check:
    """The longest run against the caps (within either passes)."""
    template = week.template
    km_band, min_band = template.long_run_km, template.long_run_min
    if not week.runs:
        return _make("long_run", "long run cap", None, "km", km_band, "unknown", "no runs")
    longest = max(week.runs, key=lambda o: o.distance_m)
    km, minutes = longest.distance_m / 1000, longest.moving_s / 60
    caps = " or ".join(
        band_text(b, u) for b, u in ((km_band, "km"), (min_band, "min")) if b.enabled
    )
    reason = f"longest: {longest.name}, {duration(longest.moving_s)}"
    if not caps:
        return _make("long_run", "long run cap", km, "km", km_band, "n/a", reason, [longest])
    grades = [grade(v, b, template.near) for v, b in ((km, km_band), (minutes, min_band))
              if b.enabled]  # fmt: skip
    status: Status = "ok" if "ok" in grades else "near" if "near" in grades else "off"
    return _make("long_run", "long run cap", km, "km", km_band, status,
                 f"{reason} (cap {caps})", [longest])  # fmt: skip


def structural_flatness(week: Week) -> Check:
    """Week-to-week change of volume and threshold dose, the larger of the two."""
    band = week.template.flatness_pct
    prev_runs = [o for o in week.previous if o.running]
    if not prev_runs:
        why = "not judged: no runs the week before to compare with"
        return _make("flatness", FLATNESS, None, "%", band, "unknown", why)
    now_km = sum(o.distance_m for o in week.runs) / 1000
    was_km = sum(o.distance_m for o in prev_runs) / 1000
    now_dose = _dose_minutes(week.runs)
    was_dose = _dose_minutes(prev_runs)
    changes = [_change(now_km, was_km)]
    reason = f"volume {now_km:.1f} vs {was_km:.1f} km ({changes[0]:+.0f} %)"
    if now_dose is not None and was_dose is not None:
        dose_change = _change(now_dose, was_dose)
        changes.append(dose_change)
        reason += f", threshold dose {now_dose:.0f} vs {was_dose:.0f} min ({dose_change:+.0f} %)"
    else:
        reason += ", threshold dose not measured both weeks"
    value = max(abs(c) for c in changes)
    reason = f"the larger change from last week, up or down: {reason}"
    status = grade(value, band, week.template.near) if band.enabled else "n/a"
    return _make("flatness", FLATNESS, value, "%", band, status, reason)


def _dose_minutes(runs: Iterable[Outing]) -> float | None:
    runs = list(runs)
    if any(o.session_type is None for o in runs):
        return None
    return sum(o.threshold_s or 0 for o in runs) / 60


def _change(now: float, was: float) -> float:
    """Change in % (100 % when something appears from nothing)."""
    if was == 0:
        return 0.0 if now == 0 else 100.0
    return (now - was) / was * 100


def polarity(week: Week) -> Check:
    """Share of running time above threshold (I4-I5) across the last weeks (some is wanted)."""
    template = week.template
    band = _pct(template.polarity_above_share)
    runs = [o for o in week.window if o.running]
    measured = [o for o in runs if o.hard_s is not None]
    weeks = template.polarity_weeks
    title = f"some work above threshold ({weeks} weeks)"
    if not measured:
        why = f"no intensity marker for any run in the last {weeks} weeks" if runs else (
            f"no runs in the last {weeks} weeks")  # fmt: skip
        return _make("polarity", title, None, "%", band, "unknown", why)
    above = sum(o.hard_s or 0 for o in measured)
    share = above / sum(o.moving_s for o in measured) * 100
    top = sorted((o for o in measured if (o.hard_s or 0) >= 60), key=lambda o: -(o.hard_s or 0))
    top = top or sorted(
        (o for o in measured if (o.hard_s or 0) > 0), key=lambda o: -(o.hard_s or 0)
    )
    reason = (f"{share:.1f} % of running time above threshold (I4-I5) over {weeks} weeks, "
              f"{_minutes(above)}: {_names(top[:3], lambda o: _minutes(o.hard_s))}; "
              "polarised training keeps some")  # fmt: skip
    status = grade(share, band, template.near) if band.enabled else "n/a"
    if band.min == 0 and share <= 0:
        status = "off"
    return _make("polarity", title, share, "%", band, status, reason, top[:3])


CHECKS: tuple[Callable[[Week], Check], ...] = (
    weekly_volume,
    threshold_sessions,
    double_days,
    threshold_dose,
    intensity_control,
    rep_drift,
    easy_really_easy,
    hard_work_cap,
    x_element,
    long_run_cap,
    structural_flatness,
    polarity,
)
