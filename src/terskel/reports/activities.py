"""The activity list as a terminal table and as stable JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from rich import box
from rich.table import Table

from terskel.reports.format import duration, local_iso, pace, utc_iso


def activities_table(frame: pl.DataFrame, title: str = "Activities") -> Table:
    """A rich table: date, local start, sport, distance, time, pace, HR, structure, source."""
    table = Table(
        title=title,
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    # the source column earns its width only when there is more than one kind
    show_source = frame.height > 0 and (
        frame["sources"].n_unique() > 1 or bool((frame["recordings"] > 1).any())
    )
    columns = [
        ("id", "right"), ("date", "left"), ("start", "left"), ("sport", "left"),
        ("km", "right"), ("time", "right"), ("pace", "right"), ("HR", "right"),
        ("structure", "left"), ("type", "left"),
    ] + ([("source", "left")] if show_source else [])  # fmt: skip
    for name, justify in columns:
        wrap = name in ("sport", "source", "structure", "type")
        table.add_column(
            name,
            justify=justify,  # type: ignore[arg-type]
            no_wrap=not wrap,
            min_width=12 if name == "structure" else 9 if wrap else None,
            overflow="fold",
        )
    for row in frame.iter_rows(named=True):
        local: dt.datetime = row["start_local"]
        cells = [
            str(row["activity_id"]),
            local.strftime("%Y-%m-%d %a"),
            local.strftime("%H:%M"),
            _sport(row),
            f"{row['distance_m'] / 1000:.2f}" if row["distance_m"] else "",
            duration(row["timer_s"] or row["elapsed_s"]),
            pace(row["distance_m"], row["timer_s"] or row["elapsed_s"]) if _foot(row) else "",
            f"{row['avg_hr']:.0f}" if row["avg_hr"] else "",
            row["structure"] or "",
            row.get("session_type") or "",
        ]
        table.add_row(*cells, *([_sources(row)] if show_source else []))
    return table


def activities_json(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """One JSON object per activity; the documented, stable `--json` contract."""
    return [
        {
            "id": row["activity_id"],
            "start": utc_iso(row["start_utc"]),
            "start_local": local_iso(row["start_utc"], row["utc_offset_s"]),
            "date": row["start_local"].date().isoformat(),
            "sport": row["sport"],
            "sub_sport": row["sub_sport"],
            "distance_m": _round(row["distance_m"], 1),
            "duration_s": _round(row["elapsed_s"], 1),
            "moving_s": _round(row["timer_s"], 1),
            "avg_hr": _round(row["avg_hr"], 0),
            "max_hr": _round(row["max_hr"], 0),
            "device": row["device"],
            "sources": (row["sources"] or "").split(",") if row["sources"] else [],
            "recordings": row["recordings"],
            "structure": row["structure"],
            "session_type": row.get("session_type"),
        }
        for row in frame.iter_rows(named=True)
    ]


_SUB_SPORT_NAMES = {"indoor_running": "treadmill", "treadmill": "treadmill", "trail": "trail"}


def _sport(row: dict[str, Any]) -> str:
    """The sport, or a more telling sub-sport (treadmill, trail)."""
    return _SUB_SPORT_NAMES.get(row["sub_sport"] or "") or str(row["sport"])


def _foot(row: dict[str, Any]) -> bool:
    return row["sport"] in ("running", "walking", "hiking")


def _sources(row: dict[str, Any]) -> str:
    sources = row["sources"] or ""
    extra = row["recordings"] - 1
    return f"{sources} (+{extra} linked)" if extra > 0 else sources


def _round(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None else None
