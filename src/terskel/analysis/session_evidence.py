"""A run typed from its own evidence when no marker is known (too few runs to estimate one).

Nothing here is measured against a band: reps are hard when they run clearly
faster than the same run's warm-up and cool-down, and hard reps are threshold or
vo2 by their length and recoveries (threshold-model.md section 3): reps of 3 min
or more are threshold unless each recovery is as long as the rep; shorter reps
are threshold only with short rests (25 x 1 min / 30 s, 25 x 400 m: at most half
the rep), vo2 with longer ones (400 m / 200 m jog, 600 m / 2 min). A continuous
run is easy, or long by its length.
When the watch's own max HR is known (source `device`), hard reps long enough for HR
to settle are vo2 at or above 87 % of it (I4 and up, threshold-model.md section 2),
threshold below, whatever their rests; a run whose mean HR is at or above 87 % of it
for 10 min or more (and never above it) is a tempo: threshold.
On a treadmill with HR, reps count as hard only by that settled HR (speed there is a
foot pod's guess).
The reason says the type came from the run alone, so it reads as a low-confidence call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

OWN = "from the run itself, no marker yet: low confidence"
# a warm-up plus cool-down shorter than this says nothing about the runner's easy pace
MIN_EASY_S = 180.0
# the top of Olympiatoppen I3 as a share of max HR: above it a rep is VO2 work
I4_OF_MAX = 0.87


class _Params(Protocol):
    """The two SessionParams this module reads."""

    @property
    def own_hard(self) -> float: ...

    @property
    def vo2_rest(self) -> float: ...

    @property
    def long_rep_s(self) -> float: ...

    @property
    def lag_rep_s(self) -> float: ...

    @property
    def tempo_min_s(self) -> float: ...


def from_session(o: Mapping[str, Any], p: _Params, plain: dict[str, Any]) -> dict[str, Any]:
    """The type of a run without markers; `plain`: what the marker-free rules said.

    x_element, strides, long and other sports need no marker and stand as they
    are; reps are judged against the run's own easy running; the rest is easy.
    """
    out = plain | {"disputed": False, "channel": None, "intensity_basis": "none"}
    kind = plain["session_type"]
    if kind in ("x_element", "other_sport") or not o.get("streams", True):
        return out  # nothing to read the run from: no speed stream
    n, short = int(o["n_work"]), int(o["short_reps"])
    label = f"{o['structure']}: " if o["structure"] else ""
    if n > 0 and short < n and o["work_s"] > 0:
        typed = _reps(o, p, label)
        if typed is not None:
            return out | typed
    if kind == "long":
        return out | {"reason": f"{plain['reason']} ({OWN})"}
    tempo = _tempo_by_hr(o, p, label)
    if tempo is not None:
        return out | tempo
    why = f"{label}read as easy ({o['distance_m'] / 1000:.1f} km; {OWN})"
    return out | {"session_type": "easy", "reason": why}


def _reps(o: Mapping[str, Any], p: _Params, label: str) -> dict[str, Any] | None:
    """threshold or vo2 from the reps' speed next to the run's own easy running; None: easy.

    On a treadmill with HR the speed is a foot pod's guess (as for the bands): the reps
    are hard only by their settled HR against the watch's max, else the run stays easy.
    """
    rep_speed = o["work_m"] / o["work_s"]
    if o.get("treadmill") and o.get("rep_hr"):
        pace = "treadmill reps (speed not used)"
        if _of_device_max(o, p) is None:
            return None
    elif o["easy_s"] >= MIN_EASY_S and o["easy_m"] > 0:
        easy_speed = o["easy_m"] / o["easy_s"]
        faster = rep_speed / easy_speed - 1.0
        if faster < p.own_hard:
            return None
        pace = f"reps {faster:.0%} faster than its warm-up/cool-down"
    else:
        pace = "reps with no warm-up or cool-down to compare"
    rest = (o["rec_med"] or 0.0) / (o["rep_med"] or 1.0)
    rests = f"recoveries {rest:.0%} of the rep"
    long_reps = (o["rep_med"] or 0.0) >= p.long_rep_s
    share = _of_device_max(o, p)
    if share is not None:  # the reps' settled HR says which side of I3/I4 they sit
        kind = "vo2" if share >= I4_OF_MAX else "threshold"
        why = f"{label}{pace}, rep HR {share:.0%} of the watch's max HR: {kind}-type reps ({OWN})"
        return {"session_type": kind, "reason": why}
    if rest >= 1.0 or (not long_reps and rest > p.vo2_rest):
        why = f"{label}{pace}, {rests}: vo2-type reps ({OWN})"
        return {"session_type": "vo2", "reason": why}
    why = f"{label}{pace}, {rests}: threshold-type reps ({OWN})"
    return {"session_type": "threshold", "reason": why}


def _tempo_by_hr(o: Mapping[str, Any], p: _Params, label: str) -> dict[str, Any] | None:
    """threshold for a run held at I4 or above (>= 87 % of the watch's max HR) throughout.

    The run's mean HR, over at least tempo_min_s, counts only where the run never went
    above the watch's max (a max the runner exceeded is a default, not theirs).
    """
    top, hr, peak = o.get("device_max_hr"), o.get("run_hr"), o.get("run_max_hr")
    if not top or not hr or o["moving_s"] < p.tempo_min_s or (peak and peak > top):
        return None
    share = float(hr) / float(top)
    if share < I4_OF_MAX:
        return None
    mins = o["moving_s"] / 60
    why = f"{label}mean HR {share:.0%} of the watch's max HR over {mins:.0f} min: a tempo ({OWN})"
    return {"session_type": "threshold", "reason": why}


def _of_device_max(o: Mapping[str, Any], p: _Params) -> float | None:
    """Median rep HR over the watch's max HR, for reps long enough for HR to settle."""
    top, hr = o.get("device_max_hr"), o.get("rep_hr")
    if not top or not hr or (o["rep_med"] or 0.0) < p.lag_rep_s:
        return None
    return float(hr) / float(top)
