"""Find FIT files in paths, folders, .fit.gz files and (nested) zip archives."""

from __future__ import annotations

import gzip
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# A Garmin "export your data" archive nests zips: the export holds
# DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip, which holds the .fit files.
ZIP_SPOOL_BYTES = 64 * 1024 * 1024


class InputError(Exception):
    """A path that cannot be read; the message is one line for the user."""


@dataclass(frozen=True)
class FitInput:
    """One FIT file's bytes, with a label saying where it came from."""

    label: str
    data: bytes | None  # None when it could not be read (see error)
    error: str | None = None


def is_fit_name(name: str) -> bool:
    """True for names of FIT files (.fit or .fit.gz, any case)."""
    lower = name.lower()
    return lower.endswith(".fit") or lower.endswith(".fit.gz")


def count_inputs(paths: list[Path]) -> int:
    """How many FIT files `iter_inputs` will yield, plus a Strava export's other rows."""
    from terskel.sources.strava_export import count_other_rows, is_strava_export

    extra = sum(count_other_rows(p) for p in paths if is_strava_export(p))
    return sum(1 for _ in _walk(paths, read=False)) + extra


def iter_inputs(paths: list[Path]) -> Iterator[FitInput]:
    """Yield every FIT file under `paths`, decompressed, one at a time."""
    yield from _walk(paths, read=True)


def check_paths(paths: list[Path]) -> None:
    """Raise InputError naming the first path that does not exist."""
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")


def _walk(paths: list[Path], read: bool) -> Iterator[FitInput]:
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                yield from _from_file(child, read, explicit=False)
        else:
            yield from _from_file(path, read, explicit=True)


def _from_file(path: Path, read: bool, explicit: bool) -> Iterator[FitInput]:
    label = str(path)
    if path.name.lower().endswith(".zip"):
        try:
            with path.open("rb") as handle:
                yield from _from_zip(handle, label, read)
        except (OSError, zipfile.BadZipFile) as exc:
            yield FitInput(label, None, f"unreadable zip archive ({exc})")
    elif is_fit_name(path.name) or explicit:
        if not read:
            yield FitInput(label, None)
            return
        try:
            yield FitInput(label, _maybe_gunzip(path.name, path.read_bytes()))
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            yield FitInput(label, None, f"unreadable file ({exc})")


def _from_zip(handle: IO[bytes], label: str, read: bool) -> Iterator[FitInput]:
    with zipfile.ZipFile(handle) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            inner = f"{label}!{info.filename}"
            if info.filename.lower().endswith(".zip"):
                yield from _from_nested_zip(archive, info, inner, read)
            elif is_fit_name(info.filename):
                yield _zip_member(archive, info, inner, read)


def _from_nested_zip(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, read: bool
) -> Iterator[FitInput]:
    # Spool the inner zip (to disk when large) so it is decompressed once, not per member.
    with tempfile.SpooledTemporaryFile(max_size=ZIP_SPOOL_BYTES) as spool:
        try:
            with archive.open(info) as member:
                shutil.copyfileobj(member, spool)
            spool.seek(0)
            yield from _from_zip(spool, label, read)
        except (OSError, zipfile.BadZipFile) as exc:
            yield FitInput(label, None, f"unreadable zip archive ({exc})")


def _zip_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, read: bool
) -> FitInput:
    if not read:
        return FitInput(label, None)
    try:
        return FitInput(label, _maybe_gunzip(info.filename, archive.read(info)))
    except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        return FitInput(label, None, f"unreadable archive member ({exc})")


def _maybe_gunzip(name: str, data: bytes) -> bytes:
    """Decompress .gz content (Strava exports store FIT files as .fit.gz)."""
    if name.lower().endswith(".gz"):
        return gzip.decompress(data)
    return data
