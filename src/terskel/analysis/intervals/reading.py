"""One activity's reading: its structure from workout-step laps, manual laps or
the streams, the scored alternatives, and the label's confidence.

Runs per activity in a worker process (see `read_one`); the parent builds the
grid and the segments around it (see the package)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from terskel.analysis.intervals.effort import Piece
from terskel.analysis.intervals.laps import LapParams, lap_table, manual_candidates, trusted_reps
from terskel.analysis.intervals.levels import thresholds
from terskel.analysis.intervals.parts import Part, Stretch
from terskel.analysis.intervals.segmentation import AID, Arrays, Track, done, track
from terskel.analysis.intervals.structure import (
    Parse,
    _stretches,
    ceilings,
    parse_reps,
    speed_base,
)

# confidence of workout steps: the watch ran the workout, the label is its own
STEP_CONFIDENCE = 0.99
# readings kept as alternatives (and weighed in the confidence)
MAX_ALTERNATIVES = 6
# the scores are nats of a model that treats every rep as independent evidence;
# runs break that (a rep's boundaries share one noise), so the likelihood share
# is tempered: nats / CONF_TEMPERATURE
CONF_TEMPERATURE = 4.0


@dataclass
class Reading:
    """The chosen structure of one activity and its scored alternatives."""

    parse: Parse
    source: str
    confidence: float
    alternatives: list[Parse]
    tail_end: int | None = None  # grid row where a trusted last recovery ends


def stream_reading(tr: Track, cd: np.ndarray) -> Reading:
    """Best parse over the thresholds, with the alternatives."""
    found: dict[tuple[tuple[int, int], ...], Parse] = {}
    mo = tr.moments
    vbase = speed_base(tr.pieces)
    ceil = ceilings(tr.pieces, tr.sigma, tr.graded)
    for thr in thresholds(tr.pieces, tr.sigma, tr.graded):
        seen: set[tuple[tuple[int, int], ...]] = set()
        for standing in (False, True):
            cands = _stretches(tr.pieces, thr, standing, ceil)
            ckey = tuple((c.start, c.end) for c in cands)
            if ckey in seen:
                continue
            seen.add(ckey)
            p = parse_reps(cands, cd, mo, vbase)
            key = tuple((r.start, r.end) for r in p.reps)
            if p.parts and (key not in found or found[key].score < p.score):
                found[key] = p
    alts = sorted(found.values(), key=lambda p: -p.score)
    return _choose(alts, "streams")


def _shape(p: Parse) -> tuple[tuple[str, int], ...]:
    """What a label says of a reading: its parts' kinds and rep counts."""
    return tuple((part.kind, len(part.reps)) for part in p.parts)


def _choose(alts: list[Parse], source: str) -> Reading:
    """The best of the readings and `continuous` (score 0), with its confidence:
    the share of the likelihood (tempered, see CONF_TEMPERATURE) of the readings
    of the best one's shape among the top ones. Close runners-up of another
    shape, or a best reading hardly above `continuous`, make it low."""
    cands = [*alts, Parse()]
    cands.sort(key=lambda p: -p.score)
    best = cands[:MAX_ALTERNATIVES]
    top, shape = best[0].score, _shape(best[0])
    w = [math.exp(max((p.score - top) / CONF_TEMPERATURE, -50.0)) for p in best]
    same = sum(x for x, p in zip(w, best, strict=True) if _shape(p) == shape)
    return Reading(best[0], source, same / sum(w), best)


def _rows(ts: np.ndarray, t: int) -> int:
    return min(int(np.searchsorted(ts, t)), int(ts.size) - 1)


def _trusted_reading(rows: list[dict[str, object]], tr: Track, cd: np.ndarray) -> Reading:
    """Workout-step reps as they are: consecutive reps of one step form a set."""
    parts: list[Part] = []
    prev_step: object = None
    for row in rows:
        a, b = _rows(tr.ts, int(row["start"])), _rows(tr.ts, int(row["end"]))  # type: ignore[call-overload]
        rep = Stretch(a, b, float(row["n"] or 0.0), float(row["dist"] or 0.0), 0.0)  # type: ignore[arg-type]
        step = row["step"]
        if parts and step is not None and step == prev_step:
            parts[-1].reps.append(rep)
        else:
            parts.append(Part("set", [rep], 0.0))
        prev_step = step
    tail = rows[-1]["tail_end"] if rows else None
    reading = Reading(Parse(parts, 0.0), "laps", STEP_CONFIDENCE, [Parse(parts, 0.0)])
    reading.tail_end = _rows(tr.ts, int(tail)) if tail is not None else None  # type: ignore[call-overload]
    return reading


def _manual_reading(rows: list[dict[str, object]], tr: Track, cd: np.ndarray) -> Reading | None:
    cands = []
    for row in rows:
        a, b = _rows(tr.ts, int(row["start"])), _rows(tr.ts, int(row["end"]))  # type: ignore[call-overload]
        moving = float(b - a)
        cands.append(
            Stretch(a, b, moving, float(cd[b] - cd[a]), float(cd[b] - cd[a]) / max(moving, 1.0))
        )
    p = parse_reps(cands, cd, tr.moments, speed_base(tr.pieces))
    if not p.parts or p.score <= 0:  # the streams may still read a structure
        return None
    return _choose([p], "laps")


# an activity's workout-step reps and manual lap candidates (rows of `laps`), if any
LapRows = tuple[list[dict[str, object]] | None, list[dict[str, object]] | None]


def read_laps(laps: pl.LazyFrame, p: LapParams) -> dict[int, LapRows]:
    """Per activity with laps that describe the workout: its trusted reps and its
    manual candidates (see `laps`), read once for all activities."""
    lt = done(lap_table(laps))
    trusted = _rows_by_activity(trusted_reps(lt, p).collect())
    manual = _rows_by_activity(manual_candidates(lt, p).collect())
    return {a: (trusted.get(a), manual.get(a)) for a in {*trusted, *manual}}


def _rows_by_activity(frame: pl.DataFrame) -> dict[int, list[dict[str, object]]]:
    """The rows of each activity, in order (one conversion for the whole frame)."""
    return {
        int(aid): list(rows)
        for aid, rows in itertools.groupby(frame.to_dicts(), key=lambda r: r[AID])
    }


# what a worker sends back of one activity: its pieces, noise, moving rows and reading
# (not the grid arrays of its Track: the parent has those)
Model = tuple[list[Piece], float, np.ndarray, Reading]


def read_one(a: Arrays, lap: LapRows | None = None) -> Model:
    """Pieces and the reading of one activity (runs in a worker process): its laps'
    when they give one (then the streams' is not needed), else its streams'."""
    tr = track(a)
    return tr.pieces, tr.sigma, tr.moving, _reading(tr, lap)


def _reading(tr: Track, lap: LapRows | None) -> Reading:
    """One activity's reading (see `read_one`)."""
    cd = np.concatenate([[0.0], np.cumsum(tr.v)])
    trusted, manual = lap or (None, None)
    if trusted:  # workout steps: the laps' reading, whatever the streams say
        return _trusted_reading(trusted, tr, cd)
    stream = stream_reading(tr, cd)
    # manual laps only when they parse into reps (the streams may still read some)
    from_laps = _manual_reading(manual, tr, cd) if manual else None
    return stream if from_laps is None else from_laps
