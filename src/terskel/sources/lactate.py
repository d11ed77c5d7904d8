"""Lactate readings from a CSV file (pure: text in, readings and line-numbered problems out).

A file names its columns on the first line; `mmol` is required, plus either
`timestamp` (when the drop was taken) or `activity` and `rep` (the n-th work
rep of that activity, counting across sets); `note` is optional:

    timestamp,mmol,note
    2026-04-15T19:52:10,2.4,after rep 3
    2026-04-15 20:05:00+08:00,3.1,

    activity,rep,mmol
    12,6,2.9

A timestamp without an offset is the activity's local time; with `Z` or an
offset it is an instant. A bad row becomes "line N: problem" and the good
rows are kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

MMOL_RANGE = (0.3, 30.0)


class LactateCsvError(Exception):
    """The file as a whole cannot be read (no usable header); one line for the user."""


@dataclass(frozen=True)
class Reading:
    """One reading as written: by time, or by activity and rep."""

    line: int
    mmol: float
    activity: int | None = None
    rep: int | None = None
    timestamp: dt.datetime | None = None  # naive: local time; aware: an instant
    note: str | None = None


@dataclass
class ParsedCsv:
    """Good readings and one message per bad row."""

    readings: list[Reading] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def parse_csv(text: str) -> ParsedCsv:
    """Every row of a lactate CSV: readings, and 'line N: problem' for bad rows."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    _check_header(header)
    parsed = ParsedCsv()
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        try:
            parsed.readings.append(_reading(dict(zip(header, row, strict=False)), line))
        except ValueError as exc:
            parsed.errors.append(f"line {line}: {exc}")
    return parsed


def _check_header(header: list[str]) -> None:
    if "mmol" not in header:
        raise LactateCsvError(
            "line 1: no 'mmol' column (columns: timestamp or activity + rep, mmol, note)"
        )
    if "timestamp" not in header and not {"activity", "rep"} <= set(header):
        raise LactateCsvError("line 1: needs a 'timestamp' column or 'activity' and 'rep' columns")


def _reading(cells: dict[str, str], line: int) -> Reading:
    """One row as a Reading; ValueError with a one-line problem."""
    get = {k: (v or "").strip() for k, v in cells.items()}
    mmol = parse_mmol(get.get("mmol", ""))
    note = get.get("note") or None
    if get.get("timestamp"):
        return Reading(line, mmol, timestamp=parse_timestamp(get["timestamp"]), note=note)
    if get.get("activity") or get.get("rep"):
        activity = _positive_int(get.get("activity", ""), "activity")
        rep = _positive_int(get.get("rep", ""), "rep")
        return Reading(line, mmol, activity=activity, rep=rep, note=note)
    raise ValueError("no timestamp and no activity + rep")


def parse_mmol(text: str) -> float:
    """A lactate value in mmol/L; ValueError when it is not a plausible reading."""
    if not text:
        raise ValueError("mmol is empty")
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise ValueError(f"mmol {text!r} is not a number") from None
    lo, hi = MMOL_RANGE
    if not lo <= value <= hi:
        raise ValueError(f"mmol {value:g} is outside {lo:g}-{hi:g} mmol/L")
    return value


def parse_timestamp(text: str) -> dt.datetime:
    """ISO 8601 date and time ('T' or a space; optional Z or offset)."""
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"timestamp {text!r} is not ISO 8601 (2026-04-15T19:52:10)") from None
    if len(text) <= 10:
        raise ValueError(f"timestamp {text!r} has no time of day")
    return value


def _positive_int(text: str, name: str) -> int:
    if not text:
        raise ValueError(f"{name} is empty")
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name} {text!r} is not a positive whole number")
    return int(text)
