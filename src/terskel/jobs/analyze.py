"""Run the analysis over stored activities, a chunk at a time, and save the results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import polars as pl

from terskel.analysis.athlete import (
    LactateFit,
    Marker,
    activity_peaks,
    attach_readings,
    band,
    estimates_with_evidence,
    fit_lactate,
    markers_frame,
    resolve,
)
from terskel.analysis.corrections import typing_segments, with_user_structures, with_user_types
from terskel.analysis.intervals import (
    IntervalParams,
    Pending,
    finish_detect,
    session_labels,
    start_detect,
)
from terskel.analysis.peaks import PEAK_SAMPLE_COLUMNS
from terskel.analysis.sessions import type_sessions
from terskel.analysis.zones import (
    BUILTIN_MODELS,
    ZONE_SAMPLE_COLUMNS,
    ZoneModel,
    custom_model,
    zone_time,
)
from terskel.config import AthleteSettings
from terskel.store import Store

if TYPE_CHECKING:
    from concurrent.futures import Executor

T = TypeVar("T")

# Sports whose structure is analysed (treadmill and trail runs are running sub-sports).
ANALYZED_SPORTS = ("running",)
# Activities per chunk: bounds memory (two chunks' samples and grids are in RAM at once:
# one modelled in the worker processes, the next one read beside it).
CHUNK = 250
# The sample columns structure and zones read (not the track's lat / lon).
ANALYSIS_COLUMNS = (
    "activity_id", "t", "distance_m", "speed_mps", "heart_rate", "cadence_spm", "altitude_m",
    "power_w",
)  # fmt: skip
# Local dates typed per batch (session typing reads no samples, so batches can be large).
DATE_CHUNK = 400

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
    typed: int = 0  # activities whose session type was (re)computed


@dataclass(frozen=True)
class AthleteProfile:
    """What analysis needs from the config: dated markers and the zone models."""

    dated: list[tuple[dt.date | None, dict[str, float]]] = field(default_factory=list)
    models: tuple[ZoneModel, ...] = tuple(BUILTIN_MODELS.values())

    @classmethod
    def from_settings(cls, athlete: AthleteSettings) -> AthleteProfile:
        """The profile of an `[athlete]` section (custom zone models included)."""
        custom = tuple(
            custom_model(name, m.marker, m.cuts, m.zones) for name, m in athlete.zone_models.items()
        )
        return cls(athlete.dated_markers(), tuple(BUILTIN_MODELS.values()) + custom)


@dataclass(frozen=True)
class Context:
    """Store-wide inputs of zones and typing, read once per run."""

    profile: AthleteProfile
    stored: pl.DataFrame  # athlete_thresholds
    hr_fit: LactateFit | None
    speed_fit: LactateFit | None


def analyze(
    store: Store,
    *,
    since: dt.date | None = None,
    rebuild: bool = False,
    params: IntervalParams | None = None,
    athlete: AthleteProfile | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> AnalyzeSummary:
    """Structure, time in zone and session type of every run not analysed yet (all: `rebuild`).

    First every run's best efforts (the markers zones use may look ahead). Then per
    chunk of runs: structure and zones from the chunk's samples, one chunk's model
    in the worker processes while this process saves the one before. Then the
    session types of every activity on the chunks' local dates (outings may span
    chunks). Last, activities no chunk touched (other sports, runs without
    samples) get their session types.
    """
    summary = AnalyzeSummary()
    ctx = context(store, athlete or AthleteProfile())
    if not rebuild:  # runs a killed analysis left with a structure but no zones
        _finish_zones(store, ctx, store.activities_to_zone(since, ANALYZED_SPORTS), summary)
    ids = store.activities_to_analyze(since, rebuild, ANALYZED_SPORTS)
    # a chunk's model runs in the worker processes (see intervals.start_detect) while this
    # process reads and grids the next chunk and saves the last one's results; the first
    # chunk's model runs while this process finds every best effort (a read of few
    # columns): the markers may look ahead, and with them known each chunk's zones
    # follow its structure at once
    first = _start_chunk(store, ids[:CHUNK], params) if ids else None
    done = peaks_pass(store, ids, summary, first[0] if first else None)
    all_peaks = peaks_with(store, done)
    dates: list[dt.date] = []
    last: tuple[list[int], pl.DataFrame, pl.DataFrame, Pending] | None = None
    for k, (chunk, peaks) in enumerate(done):
        samples, pending = first if k == 0 and first else _start_chunk(store, chunk, params)
        if last is not None:
            dates += _finish_chunk(store, ctx, *last, all_peaks, summary, len(ids), on_chunk)
        last = (chunk, samples, peaks, pending)
    if last is not None:
        dates += _finish_chunk(store, ctx, *last, all_peaks, summary, len(ids), on_chunk)
    dates += store.dates_to_type(since, rebuild=False)
    summary.typed += type_days(store, ctx, dates)
    return summary


def _start_chunk(
    store: Store, chunk: list[int], params: IntervalParams | None
) -> tuple[pl.DataFrame, Pending]:
    """A chunk's samples, and its structure's detection started (see `start_structure`)."""
    samples = store.samples(chunk, ANALYSIS_COLUMNS).collect()
    return samples, start_structure(samples.lazy(), store.laps(chunk), params=params)


def _finish_chunk(
    store: Store,
    ctx: Context,
    chunk: list[int],
    samples: pl.DataFrame,
    peaks: pl.DataFrame,
    pending: Pending,
    all_peaks: pl.DataFrame,
    summary: AnalyzeSummary,
    total: int,
    on_chunk: Callable[[int, int], None] | None,
) -> list[dt.date]:
    """Save a chunk's structure (its model done), then its best efforts and zones."""
    labels = _save_labelled(store, chunk, *finish_structure(pending))
    summary.interval_sessions += labels.filter(pl.col("n_work") > 0).height
    return _zone_chunk(store, ctx, chunk, samples, peaks, all_peaks, summary, total, on_chunk)


def _zone_chunk(
    store: Store,
    ctx: Context,
    chunk: list[int],
    samples: pl.DataFrame,
    peaks: pl.DataFrame,
    all_peaks: pl.DataFrame,
    summary: AnalyzeSummary,
    total: int,
    on_chunk: Callable[[int, int], None] | None,
) -> list[dt.date]:
    """Save a chunk's best efforts and zones (its structure stored), counted and reported."""
    dates = zones(store, ctx, chunk, samples, store.intervals(chunk), peaks, all_peaks)
    summary.activities += len(chunk)
    if on_chunk:
        on_chunk(summary.activities, total)
    return dates


class ImportStructures:
    """The structure of the runs an import saves, batch by batch: call it after each batch
    with the import's decoding workers as `pool`, and `finish` after the import.

    Each batch's per-run model starts in the workers when the batch is saved, beside the
    decoding of the next files (a batch is too few runs to start a pool of its own for),
    and is saved at the next batch, so this process saves the next files meanwhile
    instead of waiting for the model; `finish` saves the last batch's. Best efforts,
    zones and types are left to `analyze`, which finishes them as it finishes a killed
    run's. Detection is per run, so the structures are the ones `analyze` would find; a
    run whose samples the next batch replaces (a better record of it) is modelled again
    from those, its first model dropped.
    """

    def __init__(self, store: Store, params: IntervalParams | None = None) -> None:
        self.store = store
        self.params = params
        # per chunk under way: its runs, their model, when their samples were read
        self._started: list[tuple[list[int], Pending, dt.datetime]] = []

    def __call__(self, pool: Executor | None, saved: dict[int, pl.DataFrame] | None = None) -> None:
        """Start the model of the runs saved since the last call; save the last call's.

        `saved`: the samples the batch just saved, by activity (as its uploads hold them):
        those runs' samples are not read back from the store. It names every run whose
        samples the batch wrote: a run the last call's model is under way for, whose samples
        a better record of it replaced since, is modelled again (its model under way read
        the samples replaced). Any other write in between (an export's rows after the last
        batch) leaves such a run to `analyze`: its structure is stamped with the time its
        samples were read."""
        saved = saved or {}
        replaced = {i for chunk, _, _ in self._started for i in chunk if i in saved}
        started = {i for chunk, _, _ in self._started for i in chunk} - replaced
        ids = self.store.activities_to_analyze(None, False, ANALYZED_SPORTS)
        fresh = [i for i in ids if i not in started]
        read_at = self.store.clock()  # after the batch's writes, before the next ones
        begun = [
            (chunk, self._start(chunk, pool, saved), read_at) for chunk in _chunks(fresh, CHUNK)
        ]
        self._finish(replaced)
        self._started = begun

    def _start(
        self, chunk: list[int], pool: Executor | None, saved: dict[int, pl.DataFrame]
    ) -> Pending:
        samples = analysis_samples(chunk, saved, self.store.samples)
        return start_structure(samples, self.store.laps(chunk), params=self.params, pool=pool)

    def finish(self) -> None:
        """Save the structures whose model is under way."""
        self._finish(set())

    def _finish(self, replaced: set[int]) -> None:
        """Save the structures whose model is under way, but not those of `replaced` runs."""
        for chunk, pending, read_at in self._started:
            segments, labels = finish_structure(pending)
            kept = [i for i in chunk if i not in replaced]
            if len(kept) < len(chunk):
                segments = segments.filter(pl.col("activity_id").is_in(kept))
                labels = labels.filter(pl.col("activity_id").is_in(kept))
            if kept:
                _save_labelled(self.store, kept, segments, labels, read_at)
        self._started = []


def analysis_samples(
    chunk: list[int],
    saved: dict[int, pl.DataFrame],
    read: Callable[[list[int], Sequence[str]], pl.LazyFrame],
) -> pl.LazyFrame:
    """ANALYSIS_COLUMNS of these runs' samples as the store gives them (ordered by run and
    time, its dtypes): from `saved` (samples just saved, as the uploads hold them: no read
    back), the rest by `read` (the store's `samples`)."""
    stored = [i for i in chunk if i not in saved]
    if not any(i in saved for i in chunk):
        return read(stored, ANALYSIS_COLUMNS)
    parts = [read(stored, ANALYSIS_COLUMNS).collect()] if stored else []
    # the store's types: BIGINT, TIMESTAMP (microseconds), DOUBLE
    schema = {c: pl.Float64() for c in ANALYSIS_COLUMNS} | {
        "activity_id": pl.Int64(),
        "t": pl.Datetime("us"),
    }
    for activity_id in (i for i in chunk if i in saved):
        frame = saved[activity_id].with_columns(activity_id=pl.lit(activity_id))
        parts.append(frame.select(ANALYSIS_COLUMNS).cast(schema))  # type: ignore[arg-type]
    # one row per run and instant (sources/fit_sessions.py): the order is the store's
    return pl.concat(parts).sort("activity_id", "t").lazy()


def _save_labelled(
    store: Store,
    chunk: list[int],
    segments: pl.DataFrame,
    labels: pl.DataFrame,
    read_at: dt.datetime | None = None,
) -> pl.DataFrame:
    """Save a chunk's segments and labels (the user's corrections applied); the labels.
    `read_at`: when its samples were read, if not just now (`Store.save_structures`)."""
    labels = with_user_structures(_with_unanalysable(labels, chunk), store.corrections("structure"))
    store.save_structures(chunk, segments, labels, read_at)
    return labels


def _finish_zones(store: Store, ctx: Context, ids: list[int], summary: AnalyzeSummary) -> None:
    """Best efforts, zones and session types from the stored segments of these runs."""
    if not ids:  # nothing left over: no typing either
        return
    done = peaks_pass(store, ids, summary)
    summary.interval_sessions += store.structures(ids).filter(pl.col("n_work") > 0).height
    summary.typed += type_days(store, ctx, zone_chunks(store, ctx, done, summary, len(ids)))


def peaks_pass(
    store: Store, ids: list[int], summary: AnalyzeSummary, first: pl.DataFrame | None = None
) -> list[tuple[list[int], pl.DataFrame]]:
    """Best efforts of these runs, a chunk at a time: the first pass when structure is stored.

    `first`: the first chunk's samples when already read (with more columns), not read again."""
    done = []
    for k, chunk in enumerate(_chunks(ids, CHUNK)):
        if k == 0 and first is not None:
            samples = first.select(PEAK_SAMPLE_COLUMNS)
        else:
            samples = store.samples(chunk, PEAK_SAMPLE_COLUMNS).collect()
        done.append((chunk, chunk_peaks(store, chunk, samples)))
        summary.samples += samples.height
    return done


def chunk_peaks(store: Store, chunk: list[int], samples: pl.DataFrame) -> pl.DataFrame:
    """Best efforts of a chunk of runs from their samples (saved later, with the zones)."""
    return activity_peaks(samples.lazy(), store.local_dates(chunk).lazy()).collect()


def zone_chunks(
    store: Store,
    ctx: Context,
    done: list[tuple[list[int], pl.DataFrame]],
    summary: AnalyzeSummary,
    total: int,
    on_chunk: Callable[[int, int], None] | None = None,
) -> list[dt.date]:
    """Save best efforts and zones of these chunks, markers from every run's fresh peaks.

    All chunks' best efforts are known before any zone is computed, so the markers
    (a window that may look ahead) do not depend on the order or on an earlier run.
    """
    if not done:
        return []
    all_peaks = peaks_with(store, done)
    dates: list[dt.date] = []
    for chunk, peaks in done:
        samples = store.samples(chunk, ZONE_SAMPLE_COLUMNS).collect()
        dates += _zone_chunk(store, ctx, chunk, samples, peaks, all_peaks, summary, total, on_chunk)
    return dates


def peaks_with(store: Store, done: list[tuple[list[int], pl.DataFrame]]) -> pl.DataFrame:
    """Every run's best efforts: the stored ones, these chunks' fresh ones instead of theirs."""
    ids = {i for chunk, _ in done for i in chunk}
    stored = store.peaks().filter(~pl.col("activity_id").is_in(list(ids)))
    fresh = [peaks.select(stored.columns) for _, peaks in done]
    return pl.concat([stored, *fresh], how="vertical_relaxed")


def context(store: Store, profile: AthleteProfile) -> Context:
    """Synced markers and the athlete's lactate fits (HR and pace), read once."""
    readings = store.lactate_readings()
    hr_fit = speed_fit = None
    if readings.height:
        ids = readings["activity_id"].drop_nulls().unique().to_list()
        attached = attach_readings(readings, store.intervals(ids))
        hr = attached.select(pl.coalesce("avg_hr_2nd_half", "avg_hr")).to_series().to_list()
        mmol = attached["mmol"].to_list()
        ids = attached["activity_id"].to_list()
        hr_fit = fit_lactate(hr, mmol, ids, "hr")
        speed_fit = fit_lactate(attached["avg_speed_mps"].to_list(), mmol, ids, "speed")
    return Context(profile, store.thresholds(), hr_fit, speed_fit)


def markers_for(ctx: Context, dates: list[dt.date], peaks: pl.DataFrame) -> pl.DataFrame:
    """Markers and threshold band in force on each date (see analysis.athlete)."""
    return markers_frame(dates, ctx.profile.dated, ctx.stored, peaks, ctx.hr_fit, ctx.speed_fit)


def markers_on(
    store: Store, profile: AthleteProfile, day: dt.date
) -> tuple[Context, dict[str, Marker], dict[str, object]]:
    """The markers in force on a day (with their sources) and the threshold band."""
    ctx = context(store, profile)
    est = estimates_with_evidence([day], store.peaks())[day]
    found = resolve(day, profile.dated, ctx.stored, est, ctx.speed_fit)
    return ctx, found, band(found, ctx.hr_fit, ctx.speed_fit)


def zones(
    store: Store,
    ctx: Context,
    chunk: list[int],
    samples: pl.DataFrame,
    segments: pl.DataFrame,
    peaks: pl.DataFrame,
    all_peaks: pl.DataFrame,
) -> list[dt.date]:
    """Save best efforts and time in zone of a chunk of runs; returns their local dates."""
    local = store.local_dates(chunk)
    dates = sorted(set(local["local_date"].to_list()))
    markers = local.join(markers_for(ctx, dates, all_peaks), on="local_date")
    zt = zone_time(samples.lazy(), segments.lazy(), markers.lazy(), ctx.profile.models)
    store.save_zone_analysis(chunk, peaks, zt.collect())
    return dates


def type_days(store: Store, ctx: Context, dates: list[dt.date]) -> int:
    """(Re)type every activity on these local dates; returns how many were typed."""
    typed = 0
    peaks = store.peaks() if dates else pl.DataFrame()
    for batch in _chunks(sorted(set(dates)), DATE_CHUNK):
        acts = store.activities_on(batch)
        if acts.is_empty():
            continue
        ids = acts["activity_id"].to_list()
        segments = store.intervals(ids)
        band_time = store.zone_time(ids).filter(  # the band of each channel, and combined
            pl.col("seg_index").is_null() & pl.col("model").str.starts_with("band")
        )
        readings = attach_readings(store.lactate_readings(ids), segments)
        local = acts.select("activity_id", local_date=pl.col("start_local").dt.date())
        bands = local.join(markers_for(ctx, batch, peaks), on="local_date")
        labels = store.structures(ids)
        sessions = type_sessions(
            acts, typing_segments(segments, labels), labels, band_time, bands, readings
        )
        store.save_sessions(with_user_types(sessions, store.corrections("type")))
        typed += sessions.height
    return typed


def structure(
    samples: pl.LazyFrame,
    laps: pl.LazyFrame,
    *,
    use_laps: bool = True,
    params: IntervalParams | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Segments and structure labels of the activities in `samples` (store-free)."""
    return finish_structure(start_structure(samples, laps, use_laps=use_laps, params=params))


def start_structure(
    samples: pl.LazyFrame,
    laps: pl.LazyFrame,
    *,
    use_laps: bool = True,
    params: IntervalParams | None = None,
    pool: Executor | None = None,
) -> Pending:
    """`structure`'s detection started (see intervals.start_detect); `finish_structure` ends it."""
    return start_detect(
        samples, laps, use_laps=use_laps, params=params or IntervalParams(), pool=pool
    )


def finish_structure(pending: Pending) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Segments and structure labels of a detection `start_structure` began."""
    segments_df = finish_detect(pending, explain=False)[0]
    labels = session_labels(segments_df.lazy()).collect()
    return segments_df.select(SEGMENT_COLUMNS), labels.select(
        "activity_id", "label", "source", "n_work", "confidence"
    )


def _with_unanalysable(labels: pl.DataFrame, chunk: list[int]) -> pl.DataFrame:
    """Add an 'unknown' label for runs without usable speed, so they are not retried."""
    missing = sorted(set(chunk) - set(labels["activity_id"].to_list()))
    if not missing:
        return labels
    extra = pl.DataFrame(
        {
            "activity_id": missing,
            "label": "unknown",
            "source": "streams",
            "n_work": 0,
            "confidence": None,
        },
        schema=labels.schema,
    )
    return pl.concat([labels, extra])


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
