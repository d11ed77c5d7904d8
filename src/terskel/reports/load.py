"""Training load per session and the fitness / fatigue / form curves built from it (pure).

Load score: Edwards' zone TRIMP on the Olympiatoppen zones, minutes in I1..I5
weighted 1..5 (so an hour easy in I1 is 60, an hour in I3 is 180). A run
without HR zone time falls back to a score from its moving time and session
type: minutes x 1.5 easy/long, x 3 threshold, x 4 vo2/X element/race, x 2 other
or not analysed (about what those sessions score with zones). Other sports
count with their zones when they have them, else minutes x 1.

Fitness is the 42-day and fatigue the 7-day exponentially weighted mean of the
daily load (Banister's impulse-response model, as CTL/ATL in TrainingPeaks);
form is yesterday's fitness minus yesterday's fatigue (positive: fresh).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from terskel.reports.outing import Outing

ZONE_WEIGHTS = {"I1": 1.0, "I2": 2.0, "I3": 3.0, "I4": 4.0, "I5": 5.0}
TYPE_WEIGHTS = {
    "easy": 1.5, "long": 1.5, "threshold": 3.0, "vo2": 4.0, "x_element": 4.0, "race": 4.0,
}  # fmt: skip
FITNESS_DAYS = 42
FATIGUE_DAYS = 7
LOAD_METHOD = (
    "Edwards zone TRIMP (min in I1..I5 x 1..5; without HR zones: min x a session-type factor); "
    f"fitness = {FITNESS_DAYS}-day, fatigue = {FATIGUE_DAYS}-day exponential mean of daily load; "
    "form = fitness - fatigue of the day before"
)


def session_load(outing: Outing) -> tuple[float, str]:
    """The outing's load score and how it was scored ('zones' or 'type')."""
    zoned = sum(outing.zones.get(z, 0.0) for z in ZONE_WEIGHTS)
    if zoned > 0:
        score = sum(outing.zones.get(z, 0.0) / 60 * w for z, w in ZONE_WEIGHTS.items())
        # zone time can miss stretches without HR: scale up to the whole moving time
        if outing.moving_s > zoned:
            score *= outing.moving_s / zoned
        return score, "zones"
    if not outing.running:
        return outing.moving_s / 60, "type"
    return outing.moving_s / 60 * TYPE_WEIGHTS.get(outing.session_type or "", 2.0), "type"


@dataclass(frozen=True)
class LoadDay:
    """One day of the curves."""

    day: dt.date
    load: float
    fitness: float
    fatigue: float
    form: float


def load_curve(outings: Iterable[Outing], first: dt.date, last: dt.date) -> list[LoadDay]:
    """Daily load, fitness, fatigue and form from `first` to `last` (the days before warm up)."""
    daily: dict[dt.date, float] = {}
    for outing in outings:
        daily[outing.local_date] = daily.get(outing.local_date, 0.0) + session_load(outing)[0]
    start = min([first, *daily])
    fit_k, tired_k = 1 - math.exp(-1 / FITNESS_DAYS), 1 - math.exp(-1 / FATIGUE_DAYS)
    fitness = fatigue = 0.0
    days: list[LoadDay] = []
    day = start
    while day <= last:
        load = daily.get(day, 0.0)
        form = fitness - fatigue
        fitness += (load - fitness) * fit_k
        fatigue += (load - fatigue) * tired_k
        if day >= first:
            days.append(LoadDay(day, load, fitness, fatigue, form))
        day += dt.timedelta(days=1)
    return days
