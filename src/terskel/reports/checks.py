"""The twelve weekly checks of threshold-model.md section 4, each a small pure function.

Every check returns a value, its target, a status and one line of why naming the
sessions behind it. A check that cannot be measured (no HR, no zone markers,
runs not analysed yet) says so with status `unknown`; a check the template
switches off is `n/a`. Values are in display units: km, counts, minutes, %.
Here: the registry, volume and session-count checks; the intensity checks are in
`reports.checks_intensity`, what they are all made of in `reports.check_base`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from terskel.models import Band, Template
from terskel.reports.check_base import (
    Check,
    Status,
    Week,
    band_text,
    grade,
    grade_count,
    make_check,
    named,
    unanalysed,
)
from terskel.reports.checks_intensity import (
    easy_really_easy,
    hard_work_cap,
    intensity_control,
    polarity,
    rep_drift,
    threshold_dose,
)
from terskel.reports.format import duration
from terskel.reports.outing import Outing


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
        return make_check("volume", "weekly volume", km, "km", band, "n/a", reason, runs)
    if not week.has_target and not week.scaled:
        return make_check("volume", "weekly volume", km, "km", Band(), "unknown", reason, runs)
    if not week.has_target:
        reason = (
            f"{reason}; not judged: set [athlete] target_weekly_km to compare with your own "
            "target (other targets are scaled to your recent volume meanwhile)"
        )
        return make_check("volume", "weekly volume", km, "km", Band(), "unknown", reason, runs)
    status = grade(km, band, week.template.near)
    return make_check("volume", "weekly volume", km, "km", band, status, reason, runs)


def threshold_sessions(week: Week) -> Check:
    """Outings typed threshold."""
    band, sessions = week.template.threshold_sessions, week.threshold
    count = len(sessions)
    reason = f"{count}: {named(sessions)}"
    status = grade_count(count, band) if band.enabled else "n/a"
    untyped = [o for o in week.runs if o.session_type == "unknown"]
    missing = unanalysed(week)
    if missing and status != "n/a":
        status, reason = "unknown", f"{missing}; typed so far: {reason}"
    elif untyped and band.min is not None and count < band.min:
        status = "unknown"
        reason += f"; could not type {named(untyped)}"
    return make_check(
        "threshold_sessions", "threshold sessions", count, "", band, status, reason, sessions
    )


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
        reason += f"; same-day threshold outings under {gap_h:g} h apart: {named(close)}"
    status = grade_count(len(doubles), band) if band.enabled else "n/a"
    missing = unanalysed(week)
    if missing and status != "n/a":
        status, reason = "unknown", f"{missing}; {reason}"
    involved = [o for pair in doubles for o in pair]
    return make_check(
        "double_days", "double-threshold days", len(doubles), "", band, status, reason, involved
    )


def _double_pair(outings: list[Outing], gap_h: float) -> tuple[Outing, Outing] | None:
    """The first two outings of a day that are far enough apart to be a double."""
    for i, early in enumerate(outings):
        for late in outings[i + 1 :]:
            if (late.start_local - early.end_local).total_seconds() >= gap_h * 3600:
                return early, late
    return None


def x_element(week: Week) -> Check:
    """Short fast sessions (200 m reps, hill sprints)."""
    band = week.template.x_element
    sessions = [o for o in week.runs if o.session_type == "x_element"]
    reason = f"{len(sessions)} short fast sessions (200 m reps, hill sprints): {named(sessions)}"
    status = grade_count(len(sessions), band) if band.enabled else "n/a"
    missing = unanalysed(week)
    if missing and status != "n/a":
        status, reason = "unknown", f"{missing}; {reason}"
    return make_check("x_element", "X element", len(sessions), "", band, status, reason, sessions)


def long_run_cap(week: Week) -> Check:
    """The longest run against the caps (within either passes)."""
    template = week.template
    km_band, min_band = template.long_run_km, template.long_run_min
    if not week.runs:
        return make_check("long_run", "long run cap", None, "km", km_band, "unknown", "no runs")
    longest = max(week.runs, key=lambda o: o.distance_m)
    km, minutes = longest.distance_m / 1000, longest.moving_s / 60
    caps = " or ".join(
        band_text(b, u) for b, u in ((km_band, "km"), (min_band, "min")) if b.enabled
    )
    reason = f"longest: {longest.name}, {duration(longest.moving_s)}"
    if not caps:
        return make_check("long_run", "long run cap", km, "km", km_band, "n/a", reason, [longest])
    grades = [grade(v, b, template.near) for v, b in ((km, km_band), (minutes, min_band))
              if b.enabled]  # fmt: skip
    status: Status = "ok" if "ok" in grades else "near" if "near" in grades else "off"
    return make_check(
        "long_run", "long run cap", km, "km", km_band, status, f"{reason} (cap {caps})", [longest]
    )


def structural_flatness(week: Week) -> Check:
    """Week-to-week change of volume and threshold dose, the larger of the two."""
    band = week.template.flatness_pct
    prev_runs = [o for o in week.previous if o.running]
    if not prev_runs:
        why = "not judged: no runs the week before to compare with"
        return make_check("flatness", FLATNESS, None, "%", band, "unknown", why)
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
    return make_check("flatness", FLATNESS, value, "%", band, status, reason)


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
