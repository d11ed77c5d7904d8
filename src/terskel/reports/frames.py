"""Any result frame as a terminal table, CSV, JSON or Parquet.

A query's result may also come as DuckDB's rows (`Rows`, store/rows.py): printed the
same, byte for byte, without importing polars; what only polars knows how to print
(floats in exponent form, NaN; Parquet) goes through the rows' frame.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from terskel.store.rows import NUMERIC_TYPES, Rows

if TYPE_CHECKING:  # rich's table loads where a table is drawn: `query --format csv` draws none
    import polars as pl
    from rich.table import Table

FORMATS = ("table", "csv", "json", "parquet")


def frame_table(frame: pl.DataFrame | Rows, title: str | None = None) -> Table:
    """A rich table of a frame or of rows (numbers right-aligned)."""
    if isinstance(frame, Rows):
        numeric = [kind in NUMERIC_TYPES for kind in frame.types]
        return _table(frame.columns, numeric, frame.rows, title)
    numeric = [dtype.is_numeric() for dtype in frame.schema.values()]
    return _table(frame.columns, numeric, frame.iter_rows(), title)


def _table(
    columns: list[str], numeric: list[bool], rows: Iterable[tuple[Any, ...]], title: str | None
) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, header_style="bold")
    for name, right in zip(columns, numeric, strict=True):
        table.add_column(name, justify="right" if right else "left")
    paces = [_pace_unit(name) for name in columns]
    for row in rows:
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


def frame_bytes(frame: pl.DataFrame | Rows, fmt: str) -> bytes:
    """A frame (or rows) as CSV, JSON (an array of objects) or Parquet bytes."""
    if isinstance(frame, Rows):
        if fmt == "json":
            return _json_bytes(dict(zip(frame.columns, row, strict=True)) for row in frame.rows)
        text = _rows_csv(frame) if fmt == "csv" else None
        return frame_bytes(frame.frame(), fmt) if text is None else text.encode()
    if fmt == "csv":
        return frame.write_csv().encode()
    if fmt == "json":
        return _json_bytes(frame.iter_rows(named=True))
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue()
    raise ValueError(f"unknown format {fmt!r}")


def _json_bytes(rows: Iterable[dict[str, Any]]) -> bytes:
    objects = [{k: _json_value(v) for k, v in row.items()} for row in rows]
    return (json.dumps(objects, indent=2) + "\n").encode()


def _json_value(value: Any) -> Any:
    """Dates and durations as ISO text; the rest as JSON takes it."""
    if isinstance(value, dt.datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value


def _rows_csv(rows: Rows) -> str | None:
    """The CSV polars writes for these rows; None when a value is one whose text only
    polars knows (a float Python writes in exponent form, NaN, infinity)."""
    lines = [",".join(_csv_text(name) for name in rows.columns)]
    for row in rows.rows:
        cells = [_csv_cell(value) for value in row]
        known = [cell for cell in cells if cell is not None]
        if len(known) < len(cells):
            return None
        lines.append(",".join(known))
    return "\n".join(lines) + "\n"


def _csv_cell(value: Any) -> str | None:
    """One value as polars' CSV writes it (None: not known here); null is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text if math.isfinite(value) and "e" not in text else None
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, str):
        return _csv_text(value)
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _csv_text(text: str) -> str:
    """Quoted when polars quotes it: empty, or holding a comma, a quote or a line break."""
    if text and not any(c in text for c in ',"\n\r'):
        return text
    return '"' + text.replace('"', '""') + '"'
