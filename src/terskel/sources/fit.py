"""Decode FIT files into typed sessions: laps and samples as polars frames.

The one module that knows which decoder runs. `fitfast` (Rust) decodes first
and hands record columns to polars without a Python loop per record; when it
rejects a file (bad CRC, truncation, an undefined local message) the official
`garmin-fit-sdk` salvages what is readable, and it also merges heart rate kept
in separate `hr` messages (swims with a chest strap). `fit_sessions` shapes what
they read into sessions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import fitfast
import numpy as np
import polars as pl

from terskel.sources.fit_device import device_markers
from terskel.sources.fit_sessions import (
    FIT_EPOCH_OFFSET,
    FIT_MIN_REAL_TIME,
    RawFit,
    enum_text,
    shape_sessions,
)
from terskel.sources.fit_stream import without_records
from terskel.sources.model import Session, Upload


class FitError(Exception):
    """A FIT file that cannot be imported; the message is one line for the user."""


class NotAnActivity(FitError):
    """A valid FIT file that holds no activity (settings, workout, monitoring)."""


# Kept for readers of this module: a FIT session is the common Session shape.
FitSession = Session


@dataclass(frozen=True)
class FitFile:
    """A decoded FIT activity file."""

    sha256: str
    manufacturer: str | None
    product: str | None
    decoder: str
    sessions: list[Session]
    warnings: list[str] = field(default_factory=list)
    created_utc: dt.datetime | None = None  # file_id.time_created, when a real time (naive UTC)
    device_markers: dict[str, float] = field(default_factory=dict)  # the watch's HR settings


def sha256_of(data: bytes) -> str:
    """Hex SHA-256 of a file's bytes: the identity of an imported file."""
    return hashlib.sha256(data).hexdigest()


def decode(data: bytes, fallback_tz: str | None = None) -> FitFile:
    """Decode one FIT file's bytes into sessions, or raise FitError with the reason."""
    if len(data) == 0:
        raise FitError("empty file (0 bytes)")
    if len(data) < 12 or data[8:12] != b".FIT":
        raise FitError("not a FIT file (no '.FIT' signature in the header)")
    raw = _decode_raw(data)
    _reject_non_activity(raw)
    sessions = shape_sessions(raw, fallback_tz)
    if not sessions:
        raise FitError("no activity data (no sessions and no records)")
    file_id = (raw.messages.get("file_id") or [{}])[0]
    return FitFile(
        sha256=sha256_of(data),
        manufacturer=enum_text(file_id.get("manufacturer")),
        product=_product_name(file_id),
        decoder=raw.decoder,
        sessions=sessions,
        warnings=raw.warnings,
        created_utc=_real_time(file_id.get("time_created")),
        device_markers=device_markers(raw.messages),
    )


def _real_time(value: Any) -> dt.datetime | None:
    """A FIT date_time as naive UTC; None for device-relative ("system") times."""
    if not isinstance(value, dt.datetime):
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if aware.timestamp() < FIT_MIN_REAL_TIME:
        return None
    return aware.astimezone(dt.UTC).replace(tzinfo=None)


def uploads(fit: FitFile, path: str, content: bytes) -> list[Upload]:
    """One store upload per session of a decoded file (they share the file's bytes)."""
    device = " ".join(p for p in (fit.manufacturer, fit.product) if p) or None
    return [
        Upload(
            source="fit",
            source_id=f"{fit.sha256}:{session.index}",
            session=session,
            device=device,
            raw_json=session.summary,
            path=path,
            file_sha256=fit.sha256,
            content=content,
            decoder=fit.decoder,
            warnings=tuple(fit.warnings),
            device_markers=fit.device_markers,
        )
        for session in fit.sessions
    ]


def _decode_raw(data: bytes) -> RawFit:
    """Decode with fitfast, falling back to the official SDK when it refuses or crashes."""
    try:
        with _rust_stderr_silenced():
            # records once, columnar; dicts only for the few messages read as dicts
            columns = fitfast.records(data, message="record")
            cut = without_records(data)
            messages = _parse(cut.data if cut else data)
            if cut and cut.compressed_speed_distance and "distance" not in columns:
                # old footpods: compressed speed/distance is a byte field, only in dicts
                messages["record"] = _parse(data).get("record", [])
    except fitfast.FitDecodeError as exc:
        return _decode_with_sdk(data, f"damaged file ({exc}); salvaged what was readable")
    except BaseException as exc:
        if not is_decoder_panic(exc):
            raise
        # A Rust panic (pyo3 PanicException, a BaseException that cannot be pickled)
        # on damaged input: it must not leave this function, let alone a worker.
        reason = _first_line(str(exc))
        return _decode_with_sdk(data, f"damaged file (decoder crash: {reason}); salvaged")
    records = pl.DataFrame({k: v for k, v in columns.items() if v.ndim == 1})
    records = _expand_compressed_speed_distance(records, messages.get("record", []))
    messages.pop("record", None)
    raw = RawFit(messages, records, "fitfast", [])
    if messages.get("hr") and "heart_rate" not in records.columns:
        return _decode_with_sdk(data, None)
    return raw


def _parse(data: bytes) -> dict[str, list[dict[Any, Any]]]:
    return fitfast.parse(data, enum_names=True, datetimes=True)


def is_decoder_panic(exc: BaseException) -> bool:
    """True for a Rust panic surfacing from fitfast (pyo3_runtime.PanicException)."""
    return type(exc).__name__ == "PanicException"


@contextmanager
def _rust_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null while Rust code runs.

    A Rust panic prints its message and a backtrace note straight to fd 2 before
    Python sees the exception; the user gets our one-line reason instead.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to protect
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:200] if lines else "no message"


def _decode_with_sdk(data: bytes, warning: str | None) -> RawFit:
    """Salvage a file with garmin-fit-sdk, which reads past CRC errors and merges HR."""
    from garmin_fit_sdk import Decoder, Stream

    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    try:
        result = decoder.read(enable_crc_check=False, merge_heart_rates=True)
    except Exception as exc:  # the SDK raises bare exceptions on garbage input
        raise FitError(f"unreadable FIT data ({_first_line(str(exc))})") from exc
    mesgs = cast(dict[str, list[Any]], result[0])
    errors = result[1]
    messages: dict[str, list[dict[Any, Any]]] = {
        str(key).removesuffix("_mesgs"): [_sdk_message(m) for m in value]
        for key, value in mesgs.items()
        if str(key).endswith("_mesgs")
    }
    records = _sdk_records(messages.pop("record", []))
    warnings = [warning] if warning else []
    if errors and not records.is_empty():
        warnings.append(f"partly readable: {_first_line(str(errors[0]))}")
    elif errors and not messages.get("session"):
        raise FitError(f"unreadable FIT data ({_first_line(str(errors[0]))})")
    return RawFit(messages, records, "garmin-fit-sdk", warnings)


def _sdk_message(message: dict[Any, Any]) -> dict[str, Any]:
    """Normalise an SDK message: datetimes in UTC, numeric keys as strings."""
    out: dict[str, Any] = {}
    for key, value in message.items():
        if key == "local_timestamp" and isinstance(value, int):
            # local_date_time stays an int (FIT epoch seconds) in the SDK
            value = dt.datetime.fromtimestamp(value + FIT_EPOCH_OFFSET, dt.UTC)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        out[str(key)] = value
    return out


def _sdk_records(records: list[dict[str, Any]]) -> pl.DataFrame:
    """SDK record dicts to the fitfast column shape (epoch seconds, degrees)."""
    # {'timestamp': datetime(2019, 3, 16, 20, 5, 8), 'position_lat': 497264393,
    #  'distance': 12.3, 'heart_rate': 120, 'enhanced_speed': 2.9, ...}
    wanted = (
        "distance",
        "speed",
        "enhanced_speed",
        "heart_rate",
        "cadence",
        "fractional_cadence",
        "altitude",
        "enhanced_altitude",
        "power",
        "position_lat",
        "position_long",
    )
    rows = []
    for rec in records:
        ts = rec.get("timestamp")
        if not isinstance(ts, dt.datetime):
            continue
        row = {"timestamp": ts.timestamp()}
        for key in wanted:
            value = rec.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                row[key] = float(value)
        rows.append(row)
    if not rows:
        return pl.DataFrame({"timestamp": pl.Series([], dtype=pl.Float64)})
    frame = pl.from_dicts(rows, infer_schema_length=None)
    semicircle = 180.0 / 2**31
    for key in ("position_lat", "position_long"):
        if key in frame.columns:
            frame = frame.with_columns(pl.col(key) * semicircle)
    return frame


def _expand_compressed_speed_distance(
    records: pl.DataFrame, record_messages: list[dict[Any, Any]]
) -> pl.DataFrame:
    """Expand the 3-byte compressed speed/distance field of old footpod devices."""
    # {'timestamp': ..., 'compressed_speed_distance': b'cA\x0e', 'heart_rate': 104}
    # speed: 12 bits in 0.01 m/s; distance: 12 bits in 1/16 m, rolling over at 256 m.
    if "distance" in records.columns or not record_messages:
        return records
    if not any("compressed_speed_distance" in m for m in record_messages[:50]):
        return records
    raw = [m.get("compressed_speed_distance") or b"" for m in record_messages]
    present = np.array([len(b) == 3 for b in raw])
    packed = np.frombuffer(b"".join(b if len(b) == 3 else b"\0\0\0" for b in raw), np.uint8)
    packed = packed.reshape(-1, 3).astype(np.int64)
    speed = (packed[:, 0] | ((packed[:, 1] & 0x0F) << 8)) / 100.0
    dist12 = (packed[:, 1] >> 4) | (packed[:, 2] << 4)
    step = np.diff(dist12, prepend=dist12[:1]) % 4096
    step[~present] = 0
    distance = np.cumsum(step) / 16.0
    speed = np.where(present, speed, np.nan)
    distance = np.where(present, distance, np.nan)
    if len(raw) != records.height:
        return records
    return records.with_columns(speed=pl.Series(speed), distance=pl.Series(distance))


def _reject_non_activity(raw: RawFit) -> None:
    """Skip settings, workout, monitoring and other non-activity files."""
    file_type = (raw.messages.get("file_id") or [{}])[0].get("type")
    if file_type not in (None, "activity", 4):
        raise NotAnActivity(f"a {file_type} file, not an activity")
    if raw.records.is_empty() and not raw.messages.get("session"):
        if raw.messages.get("monitoring"):
            raise NotAnActivity("a monitoring file, not an activity")
        raise FitError("no activity data (no sessions and no records)")


def _product_name(file_id: dict[Any, Any]) -> str | None:
    """The device model: Garmin product numbers become names (2691 -> fr935)."""
    product = file_id.get("garmin_product") or file_id.get("product")
    if isinstance(product, int) and file_id.get("manufacturer") in ("garmin", "dynastream"):
        from garmin_fit_sdk import Profile

        return str(Profile["types"]["garmin_product"].get(product, product))
    return enum_text(product)
