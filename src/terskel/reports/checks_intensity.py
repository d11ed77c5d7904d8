"""The intensity checks of threshold-model.md section 4: threshold dose and control,
rep drift, easy really easy, the hard-work cap and polarity (see `reports.checks`).
"""

from __future__ import annotations

from terskel.models import Band
from terskel.reports.check_base import (
    Check,
    Week,
    band_text,
    grade,
    in_percent,
    make_check,
    minutes_text,
    named,
    unanalysed,
)
from terskel.reports.format import duration
from terskel.reports.outing import Outing

LOW_ZONES = ("I1", "I2")
ALL_ZONES = ("I1", "I2", "I3", "I4", "I5")
HARD_EXEMPT = ("x_element", "race")
# how analysis.zones places the I3/I4 edge the cap and polarity count from
I4_RULE = "I4 starts at 87 % of max HR or above the threshold band's top, whichever is higher"


def threshold_dose(week: Week) -> Check:
    """Minutes of rep time inside the threshold band."""
    band, unit = _dose_band(week), "min"
    contributing = [o for o in week.runs if (o.threshold_s or 0) > 0]
    measured = [o for o in week.runs if o.threshold_s is not None]
    minutes = sum(o.threshold_s or 0 for o in measured) / 60
    reason = f"{minutes:.0f} min: {named(contributing, lambda o: minutes_text(o.threshold_s))}"
    blind = [o for o in week.threshold if o.threshold_s is None]
    missing = unanalysed(week)
    if missing or (blind and not contributing):
        why = missing or f"no intensity marker for {named(blind)}"
        return make_check(
            "threshold_dose", "threshold dose", None, unit, band, "unknown", why, blind
        )
    reason += _rep_time_note(week)
    status = grade(minutes, band, week.template.near) if band.enabled else "n/a"
    return make_check(
        "threshold_dose", "threshold dose", minutes, unit, band, status, reason, contributing
    )


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
    return f"; outside {band_text(per, 'min')} per session: {named(outside)}"


def intensity_control(week: Week) -> Check:
    """Share of threshold rep time inside the band (lactate, else HR, else pace)."""
    band = in_percent(week.template.intensity_control_share)
    measured = [o for o in week.threshold if o.threshold_s is not None]
    if not week.threshold or not measured:
        why = "no threshold sessions this week" if not week.threshold else (
            f"no intensity marker for {named(week.threshold)}")  # fmt: skip
        return make_check("intensity_control", "intensity control", None, "%", band, "unknown", why)
    inside = sum(o.threshold_s or 0 for o in measured)
    total = sum(_rep_time(o) for o in measured)
    share = inside / total * 100 if total else 0.0
    bases = sorted({o.basis for o in measured})
    reason = (
        f"{minutes_text(inside)} of {minutes_text(total)} in the band (by {', '.join(bases)}): "
        + (named(measured, lambda o: f"{(o.threshold_s or 0) / max(_rep_time(o), 1) * 100:.0f} %"))
    )
    status = grade(share, band, week.template.near) if band.enabled else "n/a"
    return make_check(
        "intensity_control", "intensity control", share, "%", band, status, reason, measured
    )


def _rep_time(outing: Outing) -> float:
    """Rep time of a session; a continuous threshold run is all rep."""
    return outing.work_s if outing.work_s else outing.moving_s


def rep_drift(week: Week) -> Check:
    """HR drift, last reps vs first, per threshold session (worst shown)."""
    band = week.template.rep_drift_pct
    with_hr = [o for o in week.threshold if o.drift_hr_pct is not None]
    if not with_hr:
        return make_check("rep_drift", "rep drift", None, "%", band, "unknown", _no_drift(week))
    worst = max(o.drift_hr_pct or 0 for o in with_hr)
    reason = "HR, last reps vs first: " + named(with_hr, lambda o: f"{o.drift_hr_pct:+.1f} %")
    status = grade(worst, band, week.template.near) if band.enabled else "n/a"
    return make_check("rep_drift", "rep drift", worst, "%", band, status, reason, with_hr)


def _no_drift(week: Week) -> str:
    if not week.threshold:
        return "no threshold sessions this week"
    paced = [o for o in week.threshold if o.drift_pace_pct is not None]
    note = f"; pace drift {named(paced, lambda o: f'{o.drift_pace_pct:+.1f} %')}" if paced else ""
    if any(o.has_hr for o in week.threshold) and not any(len(o.reps) >= 2 for o in week.threshold):
        return f"no reps to compare: {named(week.threshold)} ran continuous{note}"
    return f"no heart rate across the reps of {named(week.threshold)}{note}"


def easy_really_easy(week: Week) -> Check:
    """Share of easy-run time (or all running, per template) in I1-I2."""
    template = week.template
    band = in_percent(template.easy_low_share)
    scope = week.runs if template.easy_scope == "all" else tuple(
        o for o in week.runs if o.session_type in ("easy", "long"))  # fmt: skip
    zoned = [o for o in scope if sum(o.zones.get(z, 0) for z in ALL_ZONES) > 0]
    what = "running" if template.easy_scope == "all" else "easy-run"
    if not zoned:
        why = unanalysed(week) or (
            f"no {what} time this week" if not scope
            else f"no HR zone time for {named(scope)} (no HR or no HRmax marker)")  # fmt: skip
        return make_check("easy", "easy really easy", None, "%", band, "unknown", why, scope)
    low = sum(o.zones.get(z, 0) for o in zoned for z in LOW_ZONES)
    total = sum(o.zones.get(z, 0) for o in zoned for z in ALL_ZONES)
    share = low / total * 100
    worst = min(zoned, key=_low_share)
    reason = (f"{share:.0f} % of {duration(total)} {what} time in I1-I2; "
              f"least easy: {worst.name} {_low_share(worst) * 100:.0f} %")  # fmt: skip
    if len(zoned) < len(scope):
        reason += f"; without zones: {named(o for o in scope if o not in zoned)}"
    status = grade(share, band, template.near) if band.enabled else "n/a"
    return make_check("easy", "easy really easy", share, "%", band, status, reason, zoned)


def _low_share(outing: Outing) -> float:
    total = sum(outing.zones.get(z, 0) for z in ALL_ZONES)
    return sum(outing.zones.get(z, 0) for z in LOW_ZONES) / total if total else 0.0


def hard_work_cap(week: Week) -> Check:
    """Minutes above threshold (I4-I5) outside X-element and race sessions."""
    band = week.template.hard_minutes
    counted = [o for o in week.runs if o.session_type not in HARD_EXEMPT]
    measured = [o for o in counted if o.hard_s is not None]
    if not measured:
        why = unanalysed(week) or (
            "no runs this week" if not counted else f"no intensity marker for {named(counted)}"
        )
        return make_check("hard_cap", "hard-work cap", None, "min", band, "unknown", why)
    minutes = sum(o.hard_s or 0 for o in measured) / 60
    top = sorted((o for o in measured if (o.hard_s or 0) > 0), key=lambda o: -(o.hard_s or 0))
    where = named(top[:4], lambda o: minutes_text(o.hard_s)) if top else "no run went above I3"
    more = f" and {len(top) - 4} more" if len(top) > 4 else ""
    exempt = "outside X-element and race sessions"
    reason = f"{minutes_text(minutes * 60)} above threshold (I4-I5) {exempt}: {where}{more}"
    reason += f"; {I4_RULE}"
    if len(measured) < len(counted):
        reason += f"; not measured: {named(o for o in counted if o.hard_s is None)}"
    status = grade(minutes, band, week.template.near) if band.enabled else "n/a"
    return make_check("hard_cap", "hard-work cap", minutes, "min", band, status, reason, top[:4])


def polarity(week: Week) -> Check:
    """Share of running time above threshold (I4-I5) across the last weeks (some is wanted)."""
    template = week.template
    band = in_percent(template.polarity_above_share)
    runs = [o for o in week.window if o.running]
    measured = [o for o in runs if o.hard_s is not None]
    weeks = template.polarity_weeks
    title = f"some work above threshold ({weeks} weeks)"
    if not measured:
        why = f"no intensity marker for any run in the last {weeks} weeks" if runs else (
            f"no runs in the last {weeks} weeks")  # fmt: skip
        return make_check("polarity", title, None, "%", band, "unknown", why)
    above = sum(o.hard_s or 0 for o in measured)
    share = above / sum(o.moving_s for o in measured) * 100
    top = sorted((o for o in measured if (o.hard_s or 0) >= 60), key=lambda o: -(o.hard_s or 0))
    top = top or sorted(
        (o for o in measured if (o.hard_s or 0) > 0), key=lambda o: -(o.hard_s or 0)
    )
    reason = (f"{share:.1f} % of running time above threshold (I4-I5) over {weeks} weeks, "
              f"{minutes_text(above)}: {named(top[:3], lambda o: minutes_text(o.hard_s))}; "
              "polarised training keeps some")  # fmt: skip
    status = grade(share, band, template.near) if band.enabled else "n/a"
    if band.min == 0 and share <= 0:
        status = "off"
    return make_check("polarity", title, share, "%", band, status, reason, top[:3])
