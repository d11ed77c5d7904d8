"""Decide, in memory, what a batch of imported files adds to the store."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from terskel.sources.model import Session, Upload
from terskel.store.dedupe import Recording, same_activity, stream_quality

if TYPE_CHECKING:  # polars loads where frames are built: `query` reads none
    import polars as pl


@dataclass(frozen=True)
class SaveOutcome:
    """What happened to one session of an imported file."""

    activity_id: int
    status: str  # imported | linked | updated (a source record seen before, changed upstream)
    sport: str
    start_utc: dt.datetime
    stream_saved: bool = False  # this upload's samples and laps are the activity's, as saved


@dataclass
class Known:
    """An activity the batch may link to: stored already or created in this batch."""

    activity_id: int
    recording: Recording
    quality: float  # of the kept stream
    stored: bool
    key: str = ""  # the kept stream's record, source:source_id: breaks a tie of quality
    clean: bool = True  # the kept stream was read without warnings (not salvaged)


@dataclass
class Batch:
    """Rows to write for a batch of uploads; dedupe runs against `known`."""

    known: list[Known]
    seen: dict[tuple[str, str], tuple[int, bool]]  # (source, id) -> (activity, is primary)
    ids: Iterator[int]
    created: dict[int, dict[str, Any]] = field(default_factory=dict)
    updated: dict[int, dict[str, Any]] = field(default_factory=dict)
    streams: dict[int, Session] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)

    def add(self, upload: Upload) -> SaveOutcome:
        """Link the upload to the activity it duplicates, or create a new one."""
        session = upload.session
        quality = stream_quality(session.samples, session.elapsed_s)
        recording = Recording(session.start_utc, session.elapsed_s, session.distance_m)
        values = activity_values(upload)
        key, clean = f"{upload.source}:{upload.source_id}", not upload.warnings
        previous = self.seen.get((upload.source, upload.source_id))
        match = self._match(recording, previous)
        if match is None:
            activity_id, status = next(self.ids), "imported"
            self.created[activity_id] = values
            self.streams[activity_id] = session
            self.known.append(Known(activity_id, recording, quality, False, key, clean))
        else:
            activity_id = match.activity_id
            status = "updated" if previous else "linked"
            # the primary source edited upstream always wins; otherwise the better stream
            if (previous and previous[1]) or _better(quality, clean, key, match):
                target = self.created if activity_id in self.created else self.updated
                target[activity_id] = values
                self.streams[activity_id] = session
                match.quality, match.key, match.clean = quality, key, clean
                match.recording = recording
        is_primary = self.streams.get(activity_id) is session
        self.seen[(upload.source, upload.source_id)] = (activity_id, is_primary)
        self.sources.append(source_row(upload, activity_id, quality))
        self.log.append(
            {
                "path": upload.path or f"{upload.source}:{upload.source_id}",
                "sha256": upload.file_sha256,
                "status": status,
                "message": "; ".join(upload.warnings) or None,
                "activity_id": activity_id,
            }
        )
        return SaveOutcome(activity_id, status, session.sport, session.start_utc)

    def _match(self, recording: Recording, previous: tuple[int, bool] | None) -> Known | None:
        """The known activity this recording belongs to (its own, when seen before)."""
        if previous is not None:
            for known in self.known:
                if known.activity_id == previous[0]:
                    return known
        # of several, the nearest start (then the smaller key): not the order rows came in
        matches = [k for k in self.known if same_activity(recording, k.recording)]
        start = recording.start_utc
        return min(matches, key=lambda k: (abs(k.recording.start_utc - start), k.key), default=None)

    def settled(self, uploads: list[Upload], outcomes: list[SaveOutcome]) -> list[SaveOutcome]:
        """The outcomes, each saying whether its upload's stream is the one saved (a later
        upload of the batch may have replaced an earlier one's)."""
        return [
            replace(outcome, stream_saved=self.streams.get(outcome.activity_id) is upload.session)
            for upload, outcome in zip(uploads, outcomes, strict=True)
        ]

    def activity_frame(self) -> pl.DataFrame:
        """New activities."""
        import polars as pl

        rows = [{"activity_id": aid, **values} for aid, values in self.created.items()]
        return pl.DataFrame(rows, infer_schema_length=None)

    def stream_frames(self) -> dict[str, pl.DataFrame]:
        """Samples and laps of every activity whose kept stream is new in this batch."""
        import polars as pl

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
        """activity_sources rows (the last one wins when a source id repeats)."""
        import polars as pl

        frame = pl.DataFrame(self.sources, infer_schema_length=None)
        return frame.unique(["source", "source_id"], keep="last", maintain_order=True)

    def log_frame(self) -> pl.DataFrame:
        """import_log rows."""
        import polars as pl

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


def _better(quality: float, clean: bool, key: str, kept: Known) -> bool:
    """A stream better than the kept one: higher quality; on a tie, one read without warnings
    over a salvaged one, then the smaller record key (for a FIT file its content hash), so
    the primary never depends on which file came first."""
    if (quality, clean) != (kept.quality, kept.clean):
        return (quality, clean) > (kept.quality, kept.clean)
    return key < kept.key


def activity_values(upload: Upload) -> dict[str, Any]:
    """Column values of `activities` taken from one upload."""
    session = upload.session
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
        "device": upload.device,
        "primary_source": upload.source,
        "primary_source_id": upload.source_id,
        "sample_count": session.samples.height,
    }


def source_row(upload: Upload, activity_id: int, quality: float) -> dict[str, Any]:
    """One activity_sources row: this recording, linked to its activity."""
    session = upload.session
    return {
        "source": upload.source,
        "source_id": upload.source_id,
        "activity_id": activity_id,
        "file_sha256": upload.file_sha256,
        "original_path": upload.path,
        "raw_json": json.dumps(upload.raw_json),
        "sport": session.sport,
        "start_utc": session.start_utc,
        "elapsed_s": session.elapsed_s,
        "distance_m": session.distance_m,
        "sample_count": session.samples.height,
        "stream_quality": quality,
        "decoder": upload.decoder,
    }
