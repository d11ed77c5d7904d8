"""Any result frame as a terminal table, CSV, JSON or Parquet."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import polars as pl
from rich import box
from rich.table import Table

FORMATS = ("table", "csv", "json", "parquet")


def frame_table(frame: pl.DataFrame, title: str | None = None) -> Table:
    """A rich table of a frame (numbers right-aligned)."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, header_style="bold")
    for name, dtype in frame.schema.items():
        table.add_column(name, justify="right" if dtype.is_numeric() else "left")
    paces = [_pace_unit(name) for name in frame.columns]
    for row in frame.iter_rows():
        table.add_row(*(_cell(v, unit) for v, unit in zip(row, paces, strict=True)))
    return table


def _pace_unit(column: str) -> float | None:
    """Seconds per unit of a pace column ('pace_min_per_km': 60), None for other columns."""
    if "pace" not in column:
        return None
    if "min_per_km" in column:
        return 60.0
    return 1.0 if "s_per_km" in column else None


def _cell(value: Any, pace_unit: float | None) -> str:
    """A value as text; paces as m:ss (3.84 min/km reads 3:50)."""
    if value is None:
        return ""
    if pace_unit and isinstance(value, int | float):
        seconds = round(value * pace_unit)
        return f"{seconds // 60}:{seconds % 60:02d}"
    return str(value)


def frame_bytes(frame: pl.DataFrame, fmt: str) -> bytes:
    """A frame as CSV, JSON (an array of objects) or Parquet bytes."""
    if fmt == "csv":
        return frame.write_csv().encode()
    if fmt == "json":
        rows = [{k: _json_value(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]
        return (json.dumps(rows, indent=2) + "\n").encode()
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue()
    raise ValueError(f"unknown format {fmt!r}")


def _json_value(value: Any) -> Any:
    """Dates and durations as ISO text; the rest as JSON takes it."""
    if isinstance(value, dt.datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value
