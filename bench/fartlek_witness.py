"""Does any stream tell a trail fartlek's surges from a steady trail run's fast stretches?

Usage: uv run python bench/fartlek_witness.py

The question behind issue 11's peterhighgrove misses (see interval_misses.md): the
labelled surges of the trail fartleks score below `continuous` even as the grammar's
only candidates, and every cheaper fartlek cost also reads the steady trail runs of
../shared/data/history/garmin-trail-runner as fartleks. A witness that tells them
apart must score the labelled surges higher than the steady runs' best would-be
fartlek. Per run, for each measure below (nats where it is a fit gain):

- `speed`: the grammar's own fit gain, 0.5 log(1 + z^2) per surge, z the surges' speed
  over the floats' in the pooled spread of the seconds (`parts._contrast`);
- `graded`: the same on the grade-adjusted speed of each second (`effort.per_second`);
- `hr30`: the same on the heart rate HR_LAG_S later (a deliberate surge raises the
  heart rate over the next 20-60 s; 0 when it is lower over the surges);
- `level D`: the surges' mean piece level (grade-adjusted, `Piece.level`) over the
  floats', in the pooled time-weighted spread of the piece levels inside both (the
  run's own distribution of piece levels, not of seconds);
- `block`: how much more often candidates occur inside the part than in the rest of
  the run (Poisson rates in moving time, nats of two rates over one; 0 when not denser
  inside): a fartlek is a block of surges between a warm-up and a cool-down.

Labelled fartlek sessions (and FJMacdonald's 2 x 1.5 km) are measured on their
labelled reps (the oracle's candidates); steady runs (the trail history and the
labelled `continuous` runs) on every group a fartlek could take: >= MIN_FARTLEK
consecutive candidates of one threshold (`structure._stretches`), surges <=
MAX_SURGE_S, gaps that are recoveries (`structure._recovery`) and mostly run (a
fartlek's floats are not stood); the maximum over groups of each measure is printed
(what a witness would hand the grammar's best false reading).
"""

from __future__ import annotations

import itertools
import math
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
import interval_accuracy as ia
import interval_trace as it

from terskel.analysis.intervals.effort import per_second
from terskel.analysis.intervals.levels import thresholds
from terskel.analysis.intervals.parts import MAX_SURGE_S, MIN_FARTLEK, Stretch
from terskel.analysis.intervals.segmentation import Track, arrays, grid, track
from terskel.analysis.intervals.structure import _recovery, _stretches, ceilings
from terskel.analysis.samples import GridParams

# the heart rate answers an effort this many seconds late (its time constant, ~30 s)
HR_LAG_S = 30
Span = tuple[int, int]


def _load(samples: pl.DataFrame) -> tuple[Track, np.ndarray, np.ndarray]:
    """Track, grade-adjusted speed per row and heart rate per row (NaN: not known)."""
    g = grid(ia.stack([(0, samples)]).lazy(), GridParams()).collect()
    a = next(iter(arrays(g).values()))
    tr = track(a)
    graded = np.full(tr.v.size, np.nan)
    mv = np.flatnonzero(tr.moving)
    ps = per_second(tr.v[mv], a[4][mv])
    if ps is not None:
        graded[mv] = ps
    hr = g["heart_rate"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    lagged = np.full(hr.size, np.nan)
    lagged[: max(hr.size - HR_LAG_S, 0)] = hr[HR_LAG_S:]
    return tr, graded, lagged


def _masks(size: int, moving: np.ndarray, reps: Sequence[Span]) -> tuple[np.ndarray, np.ndarray]:
    r, g = np.zeros(size, bool), np.zeros(size, bool)
    for a, b in reps:
        r[a:b] = True
    for (_, b1), (a2, _) in itertools.pairwise(reps):
        g[b1:a2] = True
    return r & moving, g & moving


def fit_nats(x: np.ndarray, moving: np.ndarray, reps: Sequence[Span]) -> float:
    """0.5 log(1 + z^2) per rep, z over the pooled spread of the seconds (NaN: unknown)."""
    r, g = _masks(x.size, moving & np.isfinite(x), reps)
    if r.sum() < 5 or g.sum() < 5 or (r.sum() + g.sum()) < 0.9 * _span_moving(moving, reps):
        return math.nan
    within = ((x[r] - x[r].mean()) ** 2).sum() + ((x[g] - x[g].mean()) ** 2).sum()
    z = (x[r].mean() - x[g].mean()) / math.sqrt(max(within, 1e-9) / (r.sum() + g.sum()))
    return 0.5 * len(reps) * math.log1p(z * z) if z > 0 else 0.0


def _span_moving(moving: np.ndarray, reps: Sequence[Span]) -> float:
    return float(moving[reps[0][0] : reps[-1][1]].sum())


def level_d(tr: Track, reps: Sequence[Span]) -> float:
    """Surges' piece level over the floats' in their pooled spread of piece levels."""
    lvl = np.zeros(tr.v.size)
    for p in tr.pieces:
        if not p.stop:
            lvl[p.start : p.end] = p.level
    r, g = _masks(tr.v.size, tr.moving, reps)
    if r.sum() < 1 or g.sum() < 1:
        return math.nan
    var = (((lvl[r] - lvl[r].mean()) ** 2).sum() + ((lvl[g] - lvl[g].mean()) ** 2).sum()) / (
        r.sum() + g.sum()
    )
    return float((lvl[r].mean() - lvl[g].mean()) / math.sqrt(max(var, 0.05**2)))


def block_nats(tr: Track, cands: Sequence[Stretch], reps: Sequence[Span]) -> float:
    """Poisson rates of candidates inside the part and outside it: nats of two over one."""
    a0, b0 = reps[0][0], reps[-1][1]
    t_in = float(tr.moving[a0:b0].sum())
    t_out = float(tr.moving.sum()) - t_in
    k_in = len(reps)
    k_out = sum(1 for c in cands if c.end <= a0 or c.start >= b0)
    if t_in <= 0 or t_out <= 0 or k_in / t_in <= k_out / t_out:
        return 0.0
    rate = (k_in + k_out) / (t_in + t_out)

    def ll(k: int, r: float, t: float) -> float:
        return (k * math.log(r * t) if k > 0 else 0.0) - r * t

    return (
        ll(k_in, k_in / t_in, t_in)
        + ll(k_out, k_out / t_out, t_out)
        - ll(k_in, rate, t_in)
        - ll(k_out, rate, t_out)
    )


def measures(
    tr: Track, graded: np.ndarray, hr: np.ndarray, cands: Sequence[Stretch], reps: Sequence[Span]
) -> list[float]:
    return [
        fit_nats(tr.v, tr.moving, reps),
        fit_nats(graded, tr.moving, reps),
        fit_nats(hr, tr.moving, reps),
        level_d(tr, reps),
        block_nats(tr, cands, reps),
    ]


def _groups(tr: Track, cands: list[Stretch]) -> list[list[Stretch]]:
    """Every run of >= MIN_FARTLEK consecutive candidates a fartlek could take."""
    out = []
    for i in range(len(cands)):
        for j in range(i + MIN_FARTLEK, len(cands) + 1):
            a, b = cands[j - 2], cands[j - 1]
            if not _recovery(a, b) or max(c.moving_s for c in cands[i:j]) > MAX_SURGE_S:
                break
            gaps = [(x.end, y.start) for x, y in itertools.pairwise(cands[i:j])]
            moving = sum(float(tr.moving[p:q].sum()) for p, q in gaps)
            if moving >= sum(q - p for p, q in gaps) / 2:
                out.append(cands[i:j])
    return out


NAMES = ("speed", "graded", "hr30", "level D", "block")


def _row(name: str, vals: Sequence[float], extra: str = "") -> str:
    return f"{name[:38]:38} " + " ".join(f"{v:8.2f}" for v in vals) + f"  {extra}"


def main() -> int:
    labelled = ia.with_frames(ia.labelled_sessions())
    print(f"{'labelled reps (oracle)':38} " + " ".join(f"{n:>8}" for n in NAMES))
    for s in labelled:
        if not (s["label"].startswith("fartlek") or "FJMacdonald" in s["file"]):
            continue
        tr, graded, hr = _load(s["samples"])
        t0 = int(tr.ts[0])
        reps = [
            (int(np.searchsorted(tr.ts, t0 + a)), int(np.searchsorted(tr.ts, t0 + b)))
            for a, b in it._true(s, tr)
        ]
        ceil = ceilings(tr.pieces, tr.sigma, tr.graded)
        cands = max(
            (_stretches(tr.pieces, thr, False, ceil) for thr in thresholds(tr.pieces, tr.sigma)),
            key=lambda c: it._matched(reps, [(x.start, x.end) for x in c]),
            default=[],
        )
        print(_row(s["file"].split("/")[-1], measures(tr, graded, hr, cands, reps), s["label"]))
    steady: list[dict[str, Any]] = [
        {"file": str(p.relative_to(ia.DATA)), "samples": ia.frames(str(p.relative_to(ia.DATA)))[0]}
        for p in sorted((ia.DATA / "history" / "garmin-trail-runner").glob("*.fit"))
    ]
    steady += [s for s in labelled if s["label"] == "continuous"]
    print()
    print(f"{'steady runs: max over groups':38} " + " ".join(f"{n:>8}" for n in NAMES))
    for s in steady:
        if s["samples"].height < 10:
            continue
        tr, graded, hr = _load(s["samples"])
        ceil = ceilings(tr.pieces, tr.sigma, tr.graded)
        rows = []
        for thr in thresholds(tr.pieces, tr.sigma, tr.graded):
            cands = _stretches(tr.pieces, thr, False, ceil)
            for g in _groups(tr, cands):
                rows.append(measures(tr, graded, hr, cands, [(c.start, c.end) for c in g]))
        if rows:
            with warnings.catch_warnings():  # a run without altitude or HR: NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                best = np.nanmax(np.array(rows, dtype=float), axis=0)
            print(_row(s["file"].split("/")[-1], best.tolist(), f"{len(rows)} groups"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
