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
    for row in frame.iter_rows():
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


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
