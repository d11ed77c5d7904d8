"""Interval structure: warm-up, reps, recoveries, sets, a label and its confidence.

Per activity, in this order:

1. Laps, when they describe the workout (see `laps`): workout-step laps are
   trusted as they are; manual fast/slow laps become rep candidates.
2. Streams: effort as piecewise-constant speed from a penalized change-point
   fit, stops as their own state (see `segmentation`); a boundary a GPS speed
   dip misplaced moves to the cadence step (see `cadence`).

Rep candidates (from the streams: fast stretches above thresholds between the
effort levels, see `levels`) are read by one grammar (see `structure`):
sets, ladders, fartleks, a few extra efforts, or `continuous`, whichever
scores best; the runner-up readings are kept as scored alternatives (when
`continuous` wins, the best reading it beat is one of them), and the label's
confidence is the tempered likelihood share of the readings of the best one's
shape (see `reading`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from terskel.analysis.intervals.labels import LABEL_SCHEMA, parse_label, session_labels
from terskel.analysis.intervals.laps import LapParams
from terskel.analysis.intervals.reading import LapRows, Model, Reading, read_laps, read_one
from terskel.analysis.intervals.segmentation import (
    AID,
    SEGMENT_SCHEMA,
    Arrays,
    Track,
    arrays,
    grid,
    metrics,
)
from terskel.analysis.samples import GridParams

__all__ = [
    "ALTERNATIVE_SCHEMA",
    "LABEL_SCHEMA",
    "SEGMENT_SCHEMA",
    "IntervalParams",
    "Pending",
    "alternatives",
    "detect",
    "detect_segments",
    "finish_detect",
    "session_labels",
    "start_detect",
]

# activities per call from which the per-activity model runs in worker processes
POOL_MIN = 64
POOL_WORKERS = 2
# activities per task in a caller's pool (see `_read_streams`): an import's batch of ~30
# runs spreads over the workers in tasks of a few
POOL_CHUNK = 2
ALTERNATIVE_SCHEMA: dict[str, pl.DataType] = {
    "activity_id": pl.Int64(),
    "rank": pl.Int32(),
    "label": pl.String(),
    "score": pl.Float64(),
    "chosen": pl.Boolean(),
}


@dataclass(frozen=True)
class IntervalParams:
    """How the grid is built and laps are read (the model's own constants live
    in `segmentation` and `structure`)."""

    grid: GridParams = field(default_factory=GridParams)
    laps: LapParams = field(default_factory=LapParams)


def _units(aid: int, tr: Track, r: Reading) -> list[dict[str, object]]:
    """Warm-up / work / recovery / cool-down (or one steady) unit starts of one activity."""
    ts = tr.ts
    reps = [
        (si, ri, part, rep)
        for si, part in enumerate(r.parse.parts, 1)
        for ri, rep in enumerate(part.reps, 1)
    ]
    if not reps:
        return [_row(aid, int(ts[0]), "steady")]
    out: list[dict[str, object]] = []
    if reps[0][3].start > 0:
        out.append(_row(aid, int(ts[0]), "warmup"))
    last_end = 0
    for k, (si, ri, part, rep) in enumerate(reps):
        a = max(rep.start, last_end)
        out.append(_row(aid, int(ts[a]), "work", si, ri, part.kind))
        end = max(rep.end, a + 1)
        nxt = reps[k + 1][3].start if k + 1 < len(reps) else (r.tail_end or end)
        if end < ts.size and nxt > end:
            out.append(_row(aid, int(ts[end]), "recovery", si, ri, part.kind))
        last_end = end
    tail = max(last_end, r.tail_end or 0)
    if tail < ts.size:
        out.append(_row(aid, int(ts[tail]), "cooldown"))
    return out


def _row(
    aid: int,
    start: int,
    kind: str,
    set_no: int | None = None,
    rep_no: int | None = None,
    set_kind: str | None = None,
) -> dict[str, object]:
    """One segment row (its end is the next row's start)."""
    return dict(
        activity_id=aid, start=start, kind=kind, set_no=set_no, rep_no=rep_no, set_kind=set_kind
    )


if TYPE_CHECKING:  # the pool loads only for many runs (a nightly's one run needs none)
    from concurrent.futures import Executor, ProcessPoolExecutor

_POOL: ProcessPoolExecutor | None = None


def _pool() -> ProcessPoolExecutor:
    """Worker processes for the per-activity model (forked once, kept for the run)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _POOL
    if _POOL is None:
        workers = min(POOL_WORKERS, os.cpu_count() or 1)
        _POOL = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    return _POOL


def _read_streams(
    arrs: dict[int, Arrays], laps: dict[int, LapRows], pool: Executor | None = None
) -> Iterator[Model]:
    """Tracks and readings of every activity, in order; they go to `pool` when given
    (processes already running, such as an import's decoding workers: any number is
    worth it), else many at once go to this module's pool (the change-point search and
    the grammar are per activity and independent), which starts on them at once: the
    caller may do other work before it reads them."""
    items = list(arrs.values())
    lap_rows = [laps.get(a) for a in arrs]
    if pool is not None and items:
        return pool.map(read_one, items, lap_rows, chunksize=POOL_CHUNK)
    if len(items) >= POOL_MIN and (os.cpu_count() or 1) > 1 and hasattr(os, "fork"):
        return _pool().map(read_one, items, lap_rows, chunksize=8)
    return map(read_one, items, lap_rows)


@dataclass
class Pending:
    """Detection of some activities under way (see `start_detect`): their grid, and the
    stream readings the worker processes are computing."""

    samples: pl.LazyFrame
    grid: pl.DataFrame
    arrays: dict[int, Arrays]
    models: Iterator[Model]


def start_detect(
    samples: pl.LazyFrame,
    laps: pl.LazyFrame,
    *,
    use_laps: bool = True,
    params: IntervalParams = IntervalParams(),
    pool: Executor | None = None,
) -> Pending:
    """The first half of `detect`: the grid, and the per-activity model handed to the
    worker processes (`pool`'s when given); `finish_detect` waits for them. In between the
    caller's own work runs beside the workers (the next chunk's read, the last one's zones
    and saves)."""
    g = grid(samples, params.grid).collect(engine="in-memory")
    arrs = arrays(g)
    lap_rows = read_laps(laps, params.laps) if use_laps else {}
    return Pending(samples, g, arrs, _read_streams(arrs, lap_rows, pool))


def finish_detect(pending: Pending, *, explain: bool = True) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The second half of `detect` (see `start_detect`): segments and alternatives."""
    trs, readings = {}, {}
    for (aid, a), (pieces, sigma, moving, reading) in zip(
        pending.arrays.items(), pending.models, strict=True
    ):
        trs[aid] = Track(a[0], a[1], a[2], pieces, sigma, moving)  # ts, block, v: see `track`
        readings[aid] = reading
    return _segments(pending, trs, readings, explain)


def detect(
    samples: pl.LazyFrame,
    laps: pl.LazyFrame,
    *,
    use_laps: bool = True,
    params: IntervalParams = IntervalParams(),
    explain: bool = True,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Segments (SEGMENT_SCHEMA plus set_kind, confidence, sample_s) and the scored
    alternatives (labelled only when `explain`: the labels cost time)."""
    pending = start_detect(samples, laps, use_laps=use_laps, params=params)
    return finish_detect(pending, explain=explain)


def _segments(
    pending: Pending, trs: dict[int, Track], readings: dict[int, Reading], explain: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Segments and alternatives from the readings."""
    samples, g = pending.samples, pending.grid
    units = [u for a, tr in trs.items() for u in _units(a, tr, readings[a])]
    schema = {
        AID: pl.Int64(),
        "start": pl.Int64(),
        "kind": pl.String(),
        "set_no": pl.Int32(),
        "rep_no": pl.Int32(),
        "set_kind": pl.String(),
    }
    uf = pl.DataFrame(units, schema=schema, orient="row") if units else pl.DataFrame(schema=schema)
    source = pl.DataFrame(
        {
            AID: list(readings),
            "source": [r.source for r in readings.values()],
            "confidence": [r.confidence for r in readings.values()],
        },
        schema={AID: pl.Int64(), "source": pl.String(), "confidence": pl.Float64()},
    ).join(recording_interval(samples), on=AID, how="left")
    uf = uf.sort(AID, "start").with_columns(
        seg_index=pl.int_range(pl.len()).over(AID).cast(pl.Int32)
    )
    segs = metrics(uf.drop("set_kind").lazy(), g.lazy(), source.select(AID, "source").lazy())
    seg = (
        segs.collect()
        .join(uf.select(AID, "seg_index", "set_kind"), on=[AID, "seg_index"], how="left")
        .join(source.select(AID, "confidence", "sample_s"), on=AID, how="left")
        .sort(AID, "seg_index")
    )
    alts = _alternatives(readings, trs) if explain else pl.DataFrame(schema=ALTERNATIVE_SCHEMA)
    return seg, alts


def recording_interval(samples: pl.LazyFrame) -> pl.DataFrame:
    """activity_id, sample_s: the median spacing of the recorded samples (1 s on
    most watches, 3-7 s on smart recording), which quantises every duration."""
    gap = pl.col("t").sort().diff().dt.total_milliseconds() / 1000.0
    return (
        samples.group_by(AID)
        .agg(sample_s=gap.median().fill_null(1.0).clip(1.0, None))
        .collect()
        .cast({AID: pl.Int64(), "sample_s": pl.Float64()})
    )


def _alternatives(readings: dict[int, Reading], trs: dict[int, Track]) -> pl.DataFrame:
    rows = []
    for a, r in readings.items():
        for rank, p in enumerate(r.alternatives, 1):
            rows.append((a, rank, parse_label(p, trs[a]), round(p.score, 1), p is r.parse))
    return pl.DataFrame(rows, schema=ALTERNATIVE_SCHEMA, orient="row")


def detect_segments(
    samples: pl.LazyFrame,
    laps: pl.LazyFrame,
    *,
    use_laps: bool = True,
    params: IntervalParams = IntervalParams(),
) -> pl.LazyFrame:
    """One row per segment for every activity in `samples` (grouped by activity_id).

    Segments cover each activity from its first to its last sample: warmup,
    work and recovery (with set_no / rep_no), cooldown; a run without reps is
    one `steady` segment. `source` says whether the structure came from the
    laps or the streams; `set_kind` (set | ladder | fartlek | extra) and
    `confidence` (0-1, per activity) ride along for the label.
    """
    return detect(samples, laps, use_laps=use_laps, params=params, explain=False)[0].lazy()


def alternatives(
    samples: pl.LazyFrame,
    laps: pl.LazyFrame,
    *,
    use_laps: bool = True,
    params: IntervalParams = IntervalParams(),
) -> pl.DataFrame:
    """The scored readings of each activity (best first; `continuous` scores 0)."""
    return detect(samples, laps, use_laps=use_laps, params=params)[1]
