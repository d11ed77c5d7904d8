"""Strava bulk export (zip or unpacked folder): activities.csv and GPX/TCX files as uploads.

FIT files in an export are not read here: the FIT importer walks the same zip or folder
(they are ordinary .fit.gz files). This module covers the rest: GPX and TCX files (read
by `tracks`), and activities without a file (a summary row). No database access here.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

import polars as pl

from terskel.sources.files import MAX_FIT_BYTES, TooLarge, gunzip_capped, read_capped
from terskel.sources.model import Session, Upload
from terskel.sources.tracks import TrackError, gpx_samples, tcx_samples
from terskel.sources.units import LAP_SCHEMA, SAMPLE_SCHEMA, steps_per_minute_sports, zone_offset

SOURCE = "strava_export"
CSV_NAME = "activities.csv"
DATE_FORMATS = ("%b %d, %Y, %I:%M:%S %p", "%d %b %Y, %H:%M:%S", "%Y-%m-%d %H:%M:%S")
# activities.csv of a 20-year, 20,000-activity account is ~20 MB; a larger one is refused
MAX_CSV_BYTES = 256 * 1024 * 1024


class ExportError(Exception):
    """An export (or one of its activities) that cannot be read; one line for the user."""


@dataclass(frozen=True)
class ExportRow:
    """One line of activities.csv, with SI values (the duplicated columns resolved)."""

    activity_id: str
    start_utc: dt.datetime | None
    name: str
    activity_type: str
    filename: str | None
    values: dict[str, str]

    def number(self, column: str) -> float | None:
        """A column as a float (None when empty or not a number)."""
        try:
            number = float(self.values.get(column) or "")
        except ValueError:
            return None
        return number if math.isfinite(number) else None


def is_strava_export(path: Path) -> bool:
    """True for a folder or zip holding a Strava export's activities.csv at its top."""
    if path.is_dir():
        return (path / CSV_NAME).is_file()
    if path.suffix.lower() != ".zip" or not path.is_file():
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return CSV_NAME in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


class Export:
    """An open export: its rows and the bytes of the files they name."""

    def __init__(self, root: Path, archive: zipfile.ZipFile | None) -> None:
        self.root = root
        self._archive = archive
        self._names = set(archive.namelist()) if archive else None

    def has(self, name: str) -> bool:
        """True when the export holds the file `name` (as listed in activities.csv)."""
        if not is_inside(name):
            return False
        if self._names is not None:
            return name in self._names
        try:
            return self._inside_path(name).is_file()
        except ExportError:
            return False

    def read(self, name: str, limit: int = MAX_FIT_BYTES) -> bytes:
        """A file's bytes, decompressed when it is .gz; refused past `limit` bytes."""
        if not is_inside(name):
            raise ExportError(f"file name {name!r} points outside the export; not read")
        try:
            with self._open(name) as stream:
                raw = read_capped(stream, limit)
            return gunzip_capped(raw, limit) if name.lower().endswith(".gz") else raw
        except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
            raise ExportError(f"unreadable file ({type(exc).__name__}: {exc})") from exc
        except TooLarge as exc:
            raise ExportError(str(exc)) from exc

    def _open(self, name: str) -> IO[bytes]:
        if self._archive is not None:
            return self._archive.open(name)
        return self._inside_path(name).open("rb")

    def _inside_path(self, name: str) -> Path:
        """`name` under the export folder; a symlink out of it is refused like `../`."""
        path = self.root / name
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise ExportError(f"file name {name!r} points outside the export; not read")
        return path

    def rows(self) -> list[ExportRow]:
        """Every row of activities.csv."""
        text = self.read(CSV_NAME, MAX_CSV_BYTES).decode("utf-8-sig", errors="replace")
        return parse_activities_csv(text)


def is_inside(name: str) -> bool:
    """True for a relative name without `..` (an export's CSV must not point elsewhere)."""
    # activities/8474917700.fit.gz is fine; ../../.ssh/id_rsa, /etc/passwd, C:\x are not
    if not name or "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return False
    return ".." not in PurePosixPath(name).parts


@contextmanager
def open_export(path: Path) -> Iterator[Export]:
    """Open an export folder or zip for reading."""
    if path.is_dir():
        yield Export(path, None)
        return
    try:
        with zipfile.ZipFile(path) as archive:
            yield Export(path, archive)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ExportError(f"unreadable zip archive ({exc})") from exc


def parse_activities_csv(text: str) -> list[ExportRow]:
    """activities.csv rows; repeated column names keep their last non-empty value (SI)."""
    # Activity ID,Activity Date,Activity Name,Activity Type,...,Elapsed Time,Distance,...,
    # Filename,...,Elapsed Time,Moving Time,Distance,Max Speed,...
    # 7926971219,"Oct 6, 2022, 11:19:20 PM",Evening Run,Run,,979,2.43,...,
    # activities/8474917700.fit.gz,...,979.0,971.0,2432.77,3.27,...
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or "Activity ID" not in header:
        raise ExportError(f"{CSV_NAME}: no 'Activity ID' column (only English exports are read)")
    rows = []
    for cells in reader:
        values: dict[str, str] = {}
        for name, value in zip(header, cells, strict=False):
            if value.strip() or name not in values:
                values[name] = value.strip()
        if values.get("Activity ID"):
            rows.append(_row(values, header.count("Distance") > 1))
    return rows


def _row(values: dict[str, str], metres: bool) -> ExportRow:
    if not metres and values.get("Distance"):
        # old exports have one Distance column, in km; a value that is not a number
        # ("1.2.3", "n/a") is dropped, so the row is kept without a distance
        values["Distance"] = _km_to_m(values["Distance"])
    return ExportRow(
        activity_id=values["Activity ID"],
        start_utc=parse_date(values.get("Activity Date", "")),
        name=values.get("Activity Name", ""),
        activity_type=values.get("Activity Type", ""),
        filename=values.get("Filename") or None,
        values=values,
    )


def _km_to_m(text: str) -> str:
    """'12.34' km (or '1,234.5') as metres text; '' when it is not a finite number."""
    try:
        km = float(text.replace(",", ""))
    except ValueError:
        return ""
    return str(km * 1000) if math.isfinite(km) else ""


def parse_date(text: str) -> dt.datetime | None:
    """The export's 'Activity Date' (UTC) as naive UTC; None when unrecognised."""
    clean = " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(clean, pattern)
        except ValueError:
            continue
    return None


def is_fit_row(export: Export, row: ExportRow) -> bool:
    """True when the row's file is a FIT file present in the export (the FIT importer's)."""
    name = (row.filename or "").lower()
    return name.endswith((".fit", ".fit.gz")) and export.has(row.filename or "")


def count_other_rows(path: Path) -> int:
    """Rows of an export that are not FIT files (for a progress bar); 0 when unreadable."""
    try:
        with open_export(path) as export:
            return sum(1 for row in export.rows() if not is_fit_row(export, row))
    except ExportError:
        return 0


def is_track_name(name: str) -> bool:
    """True for GPX and TCX files (plain or .gz)."""
    lower = name.lower().removesuffix(".gz")
    return lower.endswith(".gpx") or lower.endswith(".tcx")


def summary_upload(row: ExportRow, fallback_tz: str | None, label: str) -> Upload:
    """A row without a readable file: its summary, no samples or laps."""
    session = _session(row, _empty_samples(), _empty_laps(), fallback_tz)
    return _upload(row, session, label, None, "activities.csv")


def track_upload(
    row: ExportRow, name: str, data: bytes, fallback_tz: str | None, label: str
) -> Upload:
    """A GPX or TCX file of a row as an upload (samples, laps, summary from the CSV)."""
    body = data.lstrip()  # Strava's TCX files often start with spaces before <?xml
    is_gpx = name.lower().removesuffix(".gz").endswith(".gpx")
    try:
        if is_gpx:
            samples, laps = gpx_samples(body), _empty_laps()
        else:
            samples, laps = tcx_samples(body)
    except TrackError as exc:
        raise ExportError(str(exc)) from exc
    sport, _ = sport_of(row.activity_type)
    if sport in steps_per_minute_sports():
        samples = samples.with_columns(pl.col("cadence_spm") * 2)
    session = _session(row, samples, laps, fallback_tz)
    return _upload(row, session, label, data, "gpxpy" if is_gpx else "tcxreader")


def _session(
    row: ExportRow, samples: pl.DataFrame, laps: pl.DataFrame, fallback_tz: str | None
) -> Session:
    """The CSV's summary (Strava's own numbers) with the samples' start when there are any."""
    first = samples["t"].min() if not samples.is_empty() else None
    start = first if isinstance(first, dt.datetime) else row.start_utc
    if start is None:
        raise ExportError(f"unrecognised date {row.values.get('Activity Date')!r}")
    sport, sub_sport = sport_of(row.activity_type)
    elapsed = row.number("Elapsed Time") or _span(samples)
    return Session(
        index=0,
        sport=sport,
        sub_sport=sub_sport,
        start_utc=start,
        utc_offset_s=zone_offset(start, fallback_tz),
        utc_offset_source="config" if fallback_tz else "system",
        elapsed_s=elapsed,
        timer_s=row.number("Moving Time"),
        distance_m=row.number("Distance") or _last(samples, "distance_m"),
        avg_hr=row.number("Average Heart Rate") or _mean(samples, "heart_rate"),
        max_hr=row.number("Max Heart Rate"),
        avg_speed_mps=row.number("Average Speed"),
        max_speed_mps=row.number("Max Speed"),
        avg_cadence_spm=_cadence(row.number("Average Cadence"), sport),
        avg_power_w=row.number("Average Watts"),
        total_ascent_m=row.number("Elevation Gain"),
        calories=row.number("Calories"),
        summary=dict(row.values),
        laps=laps,
        samples=samples,
    )


def _upload(
    row: ExportRow, session: Session, label: str, content: bytes | None, decoder: str
) -> Upload:
    sha = hashlib.sha256(content).hexdigest() if content is not None else None
    return Upload(
        source=SOURCE,
        source_id=row.activity_id,
        session=session,
        device=None,
        raw_json=dict(row.values),
        path=label,
        file_sha256=sha,
        content=content,
        decoder=decoder,
    )


def sport_of(activity_type: str) -> tuple[str, str | None]:
    """(sport, sub_sport) of the CSV's 'Activity Type' ('Weight Training', 'Trail Run')."""
    from terskel.sources import strava  # stravalib is slow to import: only when an export is read

    return strava.sport_of({"type": activity_type.replace(" ", "")})


def _cadence(value: float | None, sport: str) -> float | None:
    if value is None:
        return None
    return value * 2 if sport in steps_per_minute_sports() else value


def _span(samples: pl.DataFrame) -> float | None:
    if samples.height < 2:
        return None
    first, last = samples["t"].min(), samples["t"].max()
    if isinstance(first, dt.datetime) and isinstance(last, dt.datetime):
        return (last - first).total_seconds()
    return None


def _last(samples: pl.DataFrame, column: str) -> float | None:
    value = samples[column].drop_nulls().max() if not samples.is_empty() else None
    return float(value) if isinstance(value, int | float) else None


def _mean(samples: pl.DataFrame, column: str) -> float | None:
    value = samples[column].mean() if not samples.is_empty() else None
    return float(value) if isinstance(value, int | float) else None


def _empty_samples() -> pl.DataFrame:
    return pl.DataFrame(schema=SAMPLE_SCHEMA)


def _empty_laps() -> pl.DataFrame:
    return pl.DataFrame(schema=LAP_SCHEMA)
