"""The runner's corrections: store one, apply it now, and re-type its day."""

from __future__ import annotations

from terskel.analysis.corrections import LabelError, parse_label
from terskel.analysis.session_types import SESSION_TYPES
from terskel.jobs.analyze import AthleteProfile, analyze, context, type_days
from terskel.store import Store


class CorrectionError(ValueError):
    """A correction that cannot be stored; the message is one line."""


def _retype(store: Store, profile: AthleteProfile, activity_id: int) -> None:
    dates = store.local_dates([activity_id])["local_date"].to_list()
    type_days(store, context(store, profile), dates)


def _activity(store: Store, activity_id: int) -> None:
    if store.activity(activity_id) is None:
        raise CorrectionError(f"no activity {activity_id} in the store (see `terskel activities`)")


def set_type(store: Store, profile: AthleteProfile, activity_id: int, value: str) -> None:
    """Store the runner's session type of an activity (its outing) and re-type its day."""
    _activity(store, activity_id)
    if value not in SESSION_TYPES:
        raise CorrectionError(f"type {value!r}: use one of {', '.join(SESSION_TYPES)}")
    with store.transaction():
        store.set_correction(activity_id, "type", value)
    _retype(store, profile, activity_id)


def clear_type(store: Store, profile: AthleteProfile, activity_id: int) -> bool:
    """Drop the runner's session type; the rules decide again. False when none was set."""
    _activity(store, activity_id)
    with store.transaction():
        found = store.clear_correction(activity_id, "type")
    _retype(store, profile, activity_id)
    return found


def set_structure(store: Store, profile: AthleteProfile, activity_id: int, text: str) -> str:
    """Store the runner's structure label (grammar: analysis.corrections); the label stored."""
    _activity(store, activity_id)
    try:
        label, reps = parse_label(text)
    except LabelError as exc:
        raise CorrectionError(str(exc)) from None
    with store.transaction():
        store.set_correction(activity_id, "structure", label)
        store.set_structure_label(activity_id, label, reps)
    _retype(store, profile, activity_id)
    return label


def clear_structure(store: Store, profile: AthleteProfile, activity_id: int) -> bool:
    """Drop the runner's structure label and detect the structure again."""
    _activity(store, activity_id)
    with store.transaction():
        found = store.clear_correction(activity_id, "structure")
        if found:
            store.forget_structure(activity_id)
    if found:
        analyze(store, athlete=profile)  # detects what has no structure: this activity
    return found
