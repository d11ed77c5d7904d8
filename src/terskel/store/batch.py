"""Decide, in memory, what a batch of imported files adds to the store."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from terskel.sources.fit import FitFile, FitSession
from terskel.store.dedupe import Recording, same_activity, stream_quality


@dataclass(frozen=True)
class FitUpload:
    """A decoded FIT file with where it came from and its bytes."""

    fit: FitFile
    path: str
    content: bytes


@dataclass(frozen=True)
class SaveOutcome:
    """What happened to one session of an imported file."""

    activity_id: int
    status: str  # imported | linked
    sport: str
    start_utc: dt.datetime


@dataclass
class Known:
    """An activity the batch may link to: stored already or created in this batch."""

    activity_id: int
    recording: Recording
    quality: float
    stored: bool


@dataclass
class Batch:
    """Rows to write for a batch of files; dedupe runs against `known`."""

    known: list[Known]
    ids: Iterator[int]
    created: dict[int, dict[str, Any]] = field(default_factory=dict)
    updated: dict[int, dict[str, Any]] = field(default_factory=dict)
    streams: dict[int, FitSession] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)

    def add(self, upload: FitUpload, session: FitSession) -> SaveOutcome:
        """Link the session to the activity it duplicates, or create a new one."""
        source_id = f"{upload.fit.sha256}:{session.index}"
        quality = stream_quality(session.samples, session.elapsed_s)
        recording = Recording(session.start_utc, session.elapsed_s, session.distance_m)
        match = next((k for k in self.known if same_activity(recording, k.recording)), None)
        values = activity_values(upload.fit, session, source_id)
        if match is None:
            activity_id, status = next(self.ids), "imported"
            self.created[activity_id] = values
            self.streams[activity_id] = session
            self.known.append(Known(activity_id, recording, quality, stored=False))
        else:
            activity_id, status = match.activity_id, "linked"
            if quality > match.quality:  # keep the better stream and its summary
                target = self.created if activity_id in self.created else self.updated
                target[activity_id] = values
                self.streams[activity_id] = session
                match.quality = quality
        self.sources.append(source_row(upload, session, source_id, activity_id, quality))
        self.log.append(
            {
                "path": upload.path,
                "sha256": upload.fit.sha256,
                "status": status,
                "message": "; ".join(upload.fit.warnings) or None,
                "activity_id": activity_id,
            }
        )
        return SaveOutcome(activity_id, status, session.sport, session.start_utc)

    def activity_frame(self) -> pl.DataFrame:
        """New activities."""
        rows = [{"activity_id": aid, **values} for aid, values in self.created.items()]
        return pl.DataFrame(rows, infer_schema_length=None)

    def stream_frames(self) -> dict[str, pl.DataFrame]:
        """Samples and laps of every activity whose kept stream is new in this batch."""
        out = {}
        for table in ("samples", "laps"):
            frames = [
                getattr(session, table).with_columns(activity_id=pl.lit(aid, dtype=pl.Int64))
                for aid, session in self.streams.items()
                if not getattr(session, table).is_empty()
            ]
            out[table] = pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()
        return out

    def source_frame(self) -> pl.DataFrame:
        """activity_sources rows."""
        return pl.DataFrame(self.sources, infer_schema_length=None)

    def log_frame(self) -> pl.DataFrame:
        """import_log rows."""
        return pl.DataFrame(
            self.log,
            schema={
                "path": pl.String,
                "sha256": pl.String,
                "status": pl.String,
                "message": pl.String,
                "activity_id": pl.Int64,
            },
        )


def activity_values(fit: FitFile, session: FitSession, source_id: str) -> dict[str, Any]:
    """Column values of `activities` taken from one session."""
    offset = dt.timedelta(seconds=session.utc_offset_s)
    return {
        "sport": session.sport,
        "sub_sport": session.sub_sport,
        "start_utc": session.start_utc,
        "utc_offset_s": session.utc_offset_s,
        "utc_offset_source": session.utc_offset_source,
        "start_local": session.start_utc + offset,
        "elapsed_s": session.elapsed_s,
        "timer_s": session.timer_s,
        "distance_m": session.distance_m,
        "avg_hr": session.avg_hr,
        "max_hr": session.max_hr,
        "avg_speed_mps": session.avg_speed_mps,
        "max_speed_mps": session.max_speed_mps,
        "avg_cadence_spm": session.avg_cadence_spm,
        "avg_power_w": session.avg_power_w,
        "total_ascent_m": session.total_ascent_m,
        "calories": session.calories,
        "device": " ".join(p for p in (fit.manufacturer, fit.product) if p) or None,
        "primary_source": "fit",
        "primary_source_id": source_id,
        "sample_count": session.samples.height,
    }


def source_row(
    upload: FitUpload, session: FitSession, source_id: str, activity_id: int, quality: float
) -> dict[str, Any]:
    """One activity_sources row: this recording, linked to its activity."""
    return {
        "source": "fit",
        "source_id": source_id,
        "activity_id": activity_id,
        "file_sha256": upload.fit.sha256,
        "original_path": upload.path,
        "raw_json": json.dumps(session.summary),
        "sport": session.sport,
        "start_utc": session.start_utc,
        "elapsed_s": session.elapsed_s,
        "distance_m": session.distance_m,
        "sample_count": session.samples.height,
        "stream_quality": quality,
        "decoder": upload.fit.decoder,
    }
