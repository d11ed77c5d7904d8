"""Quarantined activities (held back for implausible values) as a table and as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from rich import box
from rich.table import Table


def quarantine_table(frame: pl.DataFrame, title: str) -> Table:
    """A rich table: decoded start, sport, distance, elapsed time, file, why it is held."""
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    for name in ("start (UTC)", "sport", "km", "hours", "file", "reason"):
        table.add_column(name, justify="right" if name in ("km", "hours") else "left")
    for row in frame.iter_rows(named=True):
        start = row["start_utc"]
        table.add_row(
            f"{start:%Y-%m-%d %H:%M}" if isinstance(start, dt.datetime) else "",
            row["sport"] or "",
            _number(row["distance_m"], 1000),
            _number(row["elapsed_s"], 3600),
            row["path"] or f"{row['source']}:{row['source_id']}",
            row["reason"],
        )
    return table


def quarantine_json(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """One object per quarantined activity; times as ISO text."""
    return [
        {
            key: value.isoformat() if isinstance(value, dt.datetime) else value
            for key, value in row.items()
        }
        for row in frame.iter_rows(named=True)
    ]


def _number(value: float | None, unit: float) -> str:
    return f"{value / unit:,.1f}" if value is not None else ""
