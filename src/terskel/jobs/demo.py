"""The demo's two weeks: real permissively licensed runs, moved to consecutive dates.

No permissively licensed multi-week history of one runner exists, so the demo
assembles two ISO weeks from single real runs (credited in the README files of
`data/demo` and `data/demo-weeks`). Each run keeps its time of day; only its
date moves, in the demo's temporary store.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

from terskel.reports.weekly import add_weeks, week_of, week_start
from terskel.store import Store

# file -> (week: 0 the earlier, 1 the reported one; weekday 0 = Monday)
PLAN: dict[str, tuple[int, int]] = {
    "workoutizer__run_with_coordinates.fit": (0, 0),
    "tormoder__0137001239.fit": (0, 1),
    "fitparse__2013-02-06-12-11-14.fit": (0, 3),
    "fitdecode__developer-types-sample.fit": (0, 5),
    "heartandsole__2019-05-11-144658-UBERDROID6944-216-1.fit": (0, 6),
    "heartandsole__3981100861.fit": (1, 0),
    "workoutizer__with_nones.fit": (1, 1),
    "fitparse__activity-small-fenix2-run.fit": (1, 3),
    "tormoder__mornindew-broken.fit": (1, 6),
}
NOTE = (
    "These are real runs by different people (2013-2020), moved to two consecutive "
    "weeks for the demo: the sessions are real, the weeks are assembled."
)


def demo_folders() -> list[Path]:
    """The bundled sample folders."""
    root = resources.files("terskel").joinpath("data")
    return [Path(str(root.joinpath("demo"))), Path(str(root.joinpath("demo-weeks")))]


def demo_week(today: dt.date) -> str:
    """The reported demo week: the last complete ISO week before `today`."""
    return add_weeks(week_of(today), -1)


def assemble_weeks(store: Store, week: str) -> int:
    """Move each planned run to its day in `week` (or the week before); how many moved."""
    files = store.activity_files()
    moved = 0
    for name, (which, weekday) in PLAN.items():
        activity_id = files.get(name)
        row = store.activity(activity_id) if activity_id is not None else None
        if row is None:
            continue
        target = week_start(add_weeks(week, which - 1)) + dt.timedelta(days=weekday)
        store.shift_activity(activity_id or 0, target - row["start_local"].date())
        moved += 1
    return moved
