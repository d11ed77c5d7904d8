"""Decode FIT files into typed sessions: laps and samples as polars frames.

The one module that knows which decoder runs. `fitfast` (Rust) decodes first
and hands record columns to polars without a Python loop per record; when it
rejects a file (bad CRC, truncation, an undefined local message) the official
`garmin-fit-sdk` salvages what is readable, and it also merges heart rate kept
in separate `hr` messages (swims with a chest strap).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast
from zoneinfo import ZoneInfo

import fitfast
import numpy as np
import polars as pl

from terskel.sources.fit_device import device_markers
from terskel.sources.fit_stream import without_records
from terskel.sources.model import Session, Upload
from terskel.sources.units import (
    LAP_SCHEMA,
    SAMPLE_SCHEMA,
    json_safe,
    steps_per_minute_sports,
)

# Seconds between the Unix epoch and the FIT epoch (1989-12-31T00:00:00Z).
FIT_EPOCH_OFFSET = 631065600
# FIT date_time values below this are device-relative ("system time").
FIT_MIN_REAL_TIME = 0x10000000 + FIT_EPOCH_OFFSET


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


@dataclass
class _Raw:
    """Decoder output before it is shaped: metadata messages and record columns."""

    messages: dict[str, list[dict[Any, Any]]]
    records: pl.DataFrame
    decoder: str
    warnings: list[str]


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
    sessions = _shape_sessions(raw, fallback_tz)
    if not sessions:
        raise FitError("no activity data (no sessions and no records)")
    file_id = (raw.messages.get("file_id") or [{}])[0]
    return FitFile(
        sha256=sha256_of(data),
        manufacturer=_text(file_id.get("manufacturer")),
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


def _decode_raw(data: bytes) -> _Raw:
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
    raw = _Raw(messages, records, "fitfast", [])
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


def _decode_with_sdk(data: bytes, warning: str | None) -> _Raw:
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
    return _Raw(messages, records, "garmin-fit-sdk", warnings)


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


def _reject_non_activity(raw: _Raw) -> None:
    """Skip settings, workout, monitoring and other non-activity files."""
    file_type = (raw.messages.get("file_id") or [{}])[0].get("type")
    if file_type not in (None, "activity", 4):
        raise NotAnActivity(f"a {file_type} file, not an activity")
    if raw.records.is_empty() and not raw.messages.get("session"):
        if raw.messages.get("monitoring"):
            raise NotAnActivity("a monitoring file, not an activity")
        raise FitError("no activity data (no sessions and no records)")


def _shape_sessions(raw: _Raw, fallback_tz: str | None) -> list[Session]:
    """Split records and laps by session; a multisport file gives several."""
    samples_all = _samples(raw.records)
    sessions = raw.messages.get("session") or [_session_from_records(samples_all, raw)]
    sessions = _distinct_sessions(sessions)
    shift, offset, source = _time_base(raw, samples_all, fallback_tz)
    laps_all = _laps(raw.messages.get("lap", []))
    out = []
    for index, summary in enumerate(sessions):
        start = summary["start_time"]
        end = _session_end(summary)
        if len(sessions) == 1:
            samples, laps = samples_all, laps_all
        else:
            samples = _between(samples_all, "t", start, end)
            laps = _between(laps_all, "start_utc", start, end - dt.timedelta(seconds=1))
        sport = _text(summary.get("sport")) or "generic"
        out.append(_session(index, summary, sport, samples, laps, shift, offset, source))
    return out


def _session(
    index: int,
    summary: dict[str, Any],
    sport: str,
    samples: pl.DataFrame,
    laps: pl.DataFrame,
    shift: dt.timedelta,
    offset: int,
    offset_source: str,
) -> Session:
    """Build one Session, converting cadence and device-relative times."""
    if sport in steps_per_minute_sports():
        samples = samples.with_columns(pl.col("cadence_spm") * 2)
    if shift:
        samples = samples.with_columns(pl.col("t") + shift)
        laps = laps.with_columns(pl.col("start_utc") + shift, pl.col("end_utc") + shift)
    avg_cadence = _num(summary.get("avg_running_cadence") or summary.get("avg_cadence"))
    if avg_cadence is not None and sport in steps_per_minute_sports():
        avg_cadence = 2 * (avg_cadence + (_num(summary.get("avg_fractional_cadence")) or 0))
    return Session(
        index=index,
        sport=sport,
        sub_sport=_text(summary.get("sub_sport")),
        start_utc=(summary["start_time"] + shift).replace(tzinfo=None),
        utc_offset_s=offset,
        utc_offset_source=offset_source,
        elapsed_s=_num(summary.get("total_elapsed_time")),
        timer_s=_num(summary.get("total_timer_time")),
        distance_m=_num(summary.get("total_distance")),
        avg_hr=_num(summary.get("avg_heart_rate")) or _num(samples["heart_rate"].mean()),
        max_hr=_num(summary.get("max_heart_rate")) or _num(samples["heart_rate"].max()),
        avg_speed_mps=_num(summary.get("enhanced_avg_speed") or summary.get("avg_speed")),
        max_speed_mps=_num(summary.get("enhanced_max_speed") or summary.get("max_speed")),
        avg_cadence_spm=avg_cadence,
        avg_power_w=_num(summary.get("avg_power")),
        total_ascent_m=_num(summary.get("total_ascent")),
        calories=_num(summary.get("total_calories")),
        summary=json_safe(summary),
        laps=laps,
        samples=samples,
    )


def _session_from_records(samples: pl.DataFrame, raw: _Raw) -> dict[str, Any]:
    """A stand-in session for a file cut off before its session message."""
    raw.warnings.append("no session message (file cut short); summary computed from records")
    if samples.is_empty():
        return {}
    start = samples["t"].min()
    end = samples["t"].max()
    assert isinstance(start, dt.datetime) and isinstance(end, dt.datetime)
    sport_msg = (raw.messages.get("sport") or [{}])[0]
    distance = samples["distance_m"].drop_nulls().max()
    return {
        "start_time": start.replace(tzinfo=dt.UTC),
        "timestamp": end.replace(tzinfo=dt.UTC),
        "total_elapsed_time": (end - start).total_seconds(),
        "total_distance": distance,
        "avg_heart_rate": samples["heart_rate"].mean(),
        "max_heart_rate": samples["heart_rate"].max(),
        "sport": sport_msg.get("sport"),
        "sub_sport": sport_msg.get("sub_sport"),
    }


def _distinct_sessions(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sessions with a start time, once each (a chained file may repeat one)."""
    seen: set[tuple[Any, Any]] = set()
    out = []
    for summary in sessions:
        key = (summary.get("start_time"), summary.get("sport"))
        if isinstance(key[0], dt.datetime) and key not in seen:
            seen.add(key)
            out.append(summary)
    return out


def _session_end(summary: dict[str, Any]) -> dt.datetime:
    """End of a session: its timestamp, else start plus elapsed time."""
    start: dt.datetime = summary["start_time"]
    elapsed = _num(summary.get("total_elapsed_time")) or 0.0
    end = summary.get("timestamp")
    by_elapsed = start + dt.timedelta(seconds=elapsed)
    if isinstance(end, dt.datetime) and end >= by_elapsed:
        return end
    return by_elapsed


def _between(
    frame: pl.DataFrame, column: str, start: dt.datetime, end: dt.datetime
) -> pl.DataFrame:
    """Rows whose `column` lies in [start, end] (naive UTC comparison)."""
    lo, hi = start.replace(tzinfo=None), end.replace(tzinfo=None)
    return frame.filter(pl.col(column).is_between(lo, hi))


def _time_base(
    raw: _Raw, samples: pl.DataFrame, fallback_tz: str | None
) -> tuple[dt.timedelta, int, str]:
    """(shift to real UTC, local UTC offset in s, where the offset came from)."""
    activity = (raw.messages.get("activity") or [{}])[0]
    utc, local = activity.get("timestamp"), activity.get("local_timestamp")
    first = samples["t"].min() if not samples.is_empty() else None
    relative = isinstance(first, dt.datetime) and first.replace(tzinfo=dt.UTC).timestamp() < (
        FIT_MIN_REAL_TIME
    )
    if isinstance(utc, dt.datetime) and isinstance(local, dt.datetime):
        delta = local - utc
        if relative and local.timestamp() >= FIT_MIN_REAL_TIME:
            # Device clock never set: only local time is real. Convert it with the
            # configured zone (or this machine's) to get UTC.
            offset = _zone_offset(local.replace(tzinfo=None), fallback_tz)
            return delta - dt.timedelta(seconds=offset), offset, _zone_source(fallback_tz)
        offset = round(delta.total_seconds() / 900) * 900
        if abs(offset) <= 14 * 3600:
            return dt.timedelta(0), offset, "device"
    if isinstance(first, dt.datetime):
        return dt.timedelta(0), _zone_offset(first, fallback_tz), _zone_source(fallback_tz)
    return dt.timedelta(0), 0, _zone_source(fallback_tz)


def _zone_offset(utc: dt.datetime, tz_name: str | None) -> int:
    """UTC offset in seconds of `tz_name` (or the machine's zone) at a UTC instant."""
    aware = utc.replace(tzinfo=dt.UTC)
    local = aware.astimezone(ZoneInfo(tz_name)) if tz_name else aware.astimezone()
    offset = local.utcoffset()
    return int(offset.total_seconds()) if offset else 0


def _zone_source(tz_name: str | None) -> str:
    """Where a non-device offset came from."""
    return "config" if tz_name else "system"


def _samples(records: pl.DataFrame) -> pl.DataFrame:
    """Record columns to the store's sample shape (SI units, degrees)."""
    # fitfast columns: timestamp (epoch s), distance, enhanced_speed, heart_rate,
    # cadence, fractional_cadence, enhanced_altitude, power, position_lat/long (deg)
    cols = set(records.columns)

    def first(*names: str) -> pl.Expr:
        present = [pl.col(n) for n in names if n in cols]
        if not present:
            return pl.lit(None, dtype=pl.Float64)
        return pl.coalesce(present).fill_nan(None)

    cadence = first("cadence")
    if "fractional_cadence" in cols:
        cadence = cadence + pl.col("fractional_cadence").fill_nan(0.0)
    if "timestamp" not in cols or records.is_empty():
        return pl.DataFrame(schema=SAMPLE_SCHEMA)
    frame = records.filter(pl.col("timestamp").is_not_nan()).select(
        t=pl.from_epoch((pl.col("timestamp") * 1000).round().cast(pl.Int64), time_unit="ms"),
        distance_m=first("distance"),
        speed_mps=first("enhanced_speed", "speed"),
        heart_rate=first("heart_rate"),
        cadence_spm=cadence,
        altitude_m=first("enhanced_altitude", "altitude"),
        power_w=first("power"),
        lat=first("position_lat"),
        lon=first("position_long"),
    )
    # chained files can repeat records; keep the first sample of each instant
    frame = frame.unique(subset="t", keep="first", maintain_order=True)
    return frame.cast(SAMPLE_SCHEMA)  # type: ignore[arg-type]


def _laps(laps: list[dict[str, Any]]) -> pl.DataFrame:
    """Lap messages to the store's lap shape."""
    # {'start_time': datetime(2022, 11, 23, 15, 35, 52), 'timestamp': ..., 'total_elapsed_time':
    #  319.27, 'total_timer_time': 319.27, 'total_distance': 1000.0, 'enhanced_avg_speed':
    #  3.132, 'avg_heart_rate': 158, 'intensity': 'active', 'lap_trigger': 'distance',
    #  'wkt_step_index': 1, ...}
    rows = []
    for index, lap in enumerate(laps):
        start = lap.get("start_time")
        if not isinstance(start, dt.datetime):
            continue
        elapsed = _num(lap.get("total_elapsed_time")) or 0.0
        rows.append(
            {
                "lap_index": index,
                "start_utc": start.replace(tzinfo=None),
                "end_utc": start.replace(tzinfo=None) + dt.timedelta(seconds=elapsed),
                "elapsed_s": elapsed,
                "timer_s": _num(lap.get("total_timer_time")),
                "distance_m": _num(lap.get("total_distance")),
                "avg_speed_mps": _num(lap.get("enhanced_avg_speed") or lap.get("avg_speed")),
                "max_speed_mps": _num(lap.get("enhanced_max_speed") or lap.get("max_speed")),
                "avg_hr": _num(lap.get("avg_heart_rate")),
                "max_hr": _num(lap.get("max_heart_rate")),
                "avg_cadence": _num(lap.get("avg_running_cadence") or lap.get("avg_cadence")),
                "avg_power_w": _num(lap.get("avg_power")),
                "intensity": _text(lap.get("intensity")),
                "lap_trigger": _text(lap.get("lap_trigger")),
                "wkt_step_index": _int(lap.get("wkt_step_index")),
            }
        )
    frame = pl.DataFrame(rows, schema=LAP_SCHEMA)
    return frame.unique(subset="start_utc", keep="first", maintain_order=True)


def _product_name(file_id: dict[Any, Any]) -> str | None:
    """The device model: Garmin product numbers become names (2691 -> fr935)."""
    product = file_id.get("garmin_product") or file_id.get("product")
    if isinstance(product, int) and file_id.get("manufacturer") in ("garmin", "dynastream"):
        from garmin_fit_sdk import Profile

        return str(Profile["types"]["garmin_product"].get(product, product))
    return _text(product)


def _num(value: Any) -> float | None:
    """A finite float, or None for missing/invalid values."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return None
    number = float(value)
    return number if np.isfinite(number) else None


def _int(value: Any) -> int | None:
    """An int, or None."""
    number = _num(value)
    return int(number) if number is not None else None


def _text(value: Any) -> str | None:
    """Enum names and strings as text; unknown numeric enums as their number."""
    if value is None:
        return None
    return str(value)
