"""Run the analysis over stored activities, a chunk at a time, and save the results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import polars as pl

from terskel.analysis.intervals import IntervalParams, detect_segments, session_labels
from terskel.store import Store

# Sports whose structure is analysed (treadmill and trail runs are running sub-sports).
ANALYZED_SPORTS = ("running",)
# Activities per chunk: bounds memory (a chunk's samples are in RAM at once).
CHUNK = 250

SEGMENT_COLUMNS = [
    "activity_id", "seg_index", "kind", "set_no", "rep_no", "start_utc", "end_utc",
    "duration_s", "distance_m", "avg_speed_mps", "max_speed_mps", "avg_hr", "max_hr",
    "avg_hr_2nd_half", "avg_cadence_spm", "avg_power_w", "source",
]  # fmt: skip


@dataclass
class AnalyzeSummary:
    """What an analysis run covered."""

    activities: int = 0
    samples: int = 0
    interval_sessions: int = 0


def analyze(
    store: Store,
    *,
    since: dt.date | None = None,
    rebuild: bool = False,
    params: IntervalParams | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> AnalyzeSummary:
    """Find the structure of every run not analysed yet (or of all with `rebuild`)."""
    summary = AnalyzeSummary()
    ids = store.activities_to_analyze(since, rebuild, ANALYZED_SPORTS)
    for chunk in _chunks(ids, CHUNK):
        samples = store.samples(chunk)
        segments, labels = structure(samples, store.laps(chunk), params=params)
        labels = _with_unanalysable(labels, chunk)
        store.save_structures(chunk, segments, labels)
        summary.activities += len(chunk)
        summary.samples += samples.select(pl.len()).collect().item()
        summary.interval_sessions += labels.filter(pl.col("n_work") > 0).height
        if on_chunk:
            on_chunk(summary.activities, len(ids))
    return summary


def structure(
    samples: pl.LazyFrame,
    laps: pl.LazyFrame,
    *,
    use_laps: bool = True,
    params: IntervalParams | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Segments and structure labels of the activities in `samples` (store-free)."""
    segments = detect_segments(samples, laps, use_laps=use_laps, params=params or IntervalParams())
    segments_df = segments.collect()
    labels = session_labels(segments_df.lazy()).collect()
    return segments_df.select(SEGMENT_COLUMNS), labels.select(
        "activity_id", "label", "source", "n_work"
    )


def _with_unanalysable(labels: pl.DataFrame, chunk: list[int]) -> pl.DataFrame:
    """Add an 'unknown' label for runs without usable speed, so they are not retried."""
    missing = sorted(set(chunk) - set(labels["activity_id"].to_list()))
    if not missing:
        return labels
    extra = pl.DataFrame(
        {"activity_id": missing, "label": "unknown", "source": "streams", "n_work": 0},
        schema=labels.schema,
    )
    return pl.concat([labels, extra])


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
