"""Find FIT files in paths, folders, .fit.gz files and (nested) zip archives."""

from __future__ import annotations

import gzip
import io
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

# A Garmin "export your data" archive nests zips: the export holds
# DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip, which holds the .fit files.
ZIP_SPOOL_BYTES = 64 * 1024 * 1024
# Largest FIT file read, uncompressed: a 48 h recording at 1 s with every sensor is
# ~30 MB. A bigger "FIT" is a gzip/zip bomb or not an activity; it is refused unread.
MAX_FIT_BYTES = 64 * 1024 * 1024
# Most bytes decompressed from one archive (all members, nested zips included): a
# decade of Garmin uploads is ~2 GB. Past it the rest of the archive is refused.
MAX_ARCHIVE_BYTES = 8 * 1024**3
COPY_CHUNK = 1024 * 1024


class InputError(Exception):
    """A path that cannot be read; the message is one line for the user."""


class TooLarge(Exception):
    """More bytes than a cap allows; the message is one line for the user."""


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


def count_fit_inputs(paths: list[Path]) -> int:
    """How many FIT files `iter_inputs` will yield."""
    return sum(1 for _ in _walk(paths, read=False))


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
    label = display_path(path)
    if path.name.lower().endswith(".zip"):
        try:
            with path.open("rb") as handle:
                yield from _from_zip(handle, label, read, _Budget(MAX_ARCHIVE_BYTES))
        except (OSError, zipfile.BadZipFile) as exc:
            yield FitInput(label, None, f"unreadable zip archive ({exc})")
    elif is_fit_name(path.name) or explicit:
        if not read:
            yield FitInput(label, None)
            return
        try:
            yield FitInput(label, _read_file(path))
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
            yield FitInput(label, None, f"unreadable file ({exc})")
        except TooLarge as exc:
            yield FitInput(label, None, str(exc))


def display_path(path: Path) -> str:
    """The path as text that can be stored and printed (undecodable bytes become U+FFFD)."""
    # a name in another encoding arrives with surrogate escapes, which DuckDB and the
    # terminal refuse: one such file used to lose the whole batch
    return os.fsencode(path).decode("utf-8", errors="replace")


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _Budget:
    """Bytes an archive may still decompress."""

    def __init__(self, total: int) -> None:
        self.left = total

    def take(self, count: int, label: str) -> None:
        self.left -= count
        if self.left < 0:
            raise TooLarge(
                f"archive holds more than {MAX_ARCHIVE_BYTES // 1024**3} GB uncompressed; "
                f"stopped before {label}"
            )


def _from_zip(handle: IO[bytes], label: str, read: bool, budget: _Budget) -> Iterator[FitInput]:
    with zipfile.ZipFile(handle) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            inner = f"{label}!{info.filename}"
            try:
                if info.filename.lower().endswith(".zip"):
                    yield from _from_nested_zip(archive, info, inner, read, budget)
                elif is_fit_name(info.filename):
                    yield _zip_member(archive, info, inner, read, budget)
            except TooLarge as exc:
                yield FitInput(inner, None, str(exc))
                return


def _from_nested_zip(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, read: bool, budget: _Budget
) -> Iterator[FitInput]:
    # Spool the inner zip (to disk when large) so it is decompressed once, not per member.
    with tempfile.SpooledTemporaryFile(max_size=ZIP_SPOOL_BYTES) as spool:
        try:
            with archive.open(info) as member:
                _copy_capped(member, spool, budget, label)
            spool.seek(0)
            yield from _from_zip(spool, label, read, budget)
        except (OSError, zipfile.BadZipFile, zlib.error) as exc:
            yield FitInput(label, None, f"unreadable zip archive ({exc})")


def _copy_capped(source: _Readable, target: IO[bytes], budget: _Budget, label: str) -> None:
    """Copy in chunks, charging the archive's budget as the bytes come."""
    while chunk := source.read(COPY_CHUNK):
        budget.take(len(chunk), label)
        target.write(chunk)


def _zip_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, read: bool, budget: _Budget
) -> FitInput:
    if not read:
        return FitInput(label, None)
    try:
        if info.file_size > MAX_FIT_BYTES:
            raise TooLarge(_too_large(info.file_size))
        with archive.open(info) as member:
            data = read_capped(member, MAX_FIT_BYTES)
        if info.filename.lower().endswith(".gz"):
            data = gunzip_capped(data)
        budget.take(len(data), label)
        return FitInput(label, data)
    except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile, zlib.error) as exc:
        return FitInput(label, None, f"unreadable archive member ({exc})")
    except TooLarge as exc:
        if budget.left < 0:
            raise
        return FitInput(label, None, str(exc))


def _read_file(path: Path) -> bytes:
    """A FIT file's bytes (.gz decompressed), refusing more than MAX_FIT_BYTES."""
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rb") as stream:
            return read_capped(stream, MAX_FIT_BYTES)
    size = path.stat().st_size
    if size > MAX_FIT_BYTES:
        raise TooLarge(_too_large(size))
    with path.open("rb") as handle:
        return read_capped(handle, MAX_FIT_BYTES)


def read_capped(stream: _Readable, limit: int) -> bytes:
    """At most `limit` bytes of a stream (decompressed as it is read); TooLarge past it."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(_too_large(None, limit))
    return data


def gunzip_capped(data: bytes, limit: int = MAX_FIT_BYTES) -> bytes:
    """Decompress gzip bytes as a stream, stopping at `limit` (a bomb never lands whole)."""
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
        return read_capped(stream, limit)


def _too_large(size: int | None, limit: int = MAX_FIT_BYTES) -> str:
    mb = 1024 * 1024
    found = f"{size / mb:,.0f} MB" if size is not None else f"more than {limit // mb} MB"
    return f"too large for a FIT activity ({found} uncompressed, limit {limit // mb} MB); not read"
