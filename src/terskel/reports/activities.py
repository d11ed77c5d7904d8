"""The activity list as a terminal table and as stable JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from rich import box
from rich.table import Table

from terskel.reports.format import duration, local_iso, pace, utc_iso


def activities_table(frame: pl.DataFrame, title: str = "Activities") -> Table:
    """A rich table: date, local start, distance, time, pace, HR, session (type + structure)."""
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
        ("id", "right"), ("date", "left"), ("start", "left"), ("km", "right"),
        ("time", "right"), ("min/km", "right"), ("HR", "right"), ("session", "left"),
    ] + ([("source", "left")] if show_source else [])  # fmt: skip
    for name, justify in columns:
        wrap = name in ("source", "session")
        table.add_column(
            name,
            justify=justify,  # type: ignore[arg-type]
            no_wrap=not wrap,
            min_width=16 if name == "session" else None,
        )
    for row in frame.iter_rows(named=True):
        local: dt.datetime = row["start_local"]
        cells = [
            str(row["activity_id"]),
            local.strftime("%Y-%m-%d"),
            local.strftime("%a %H:%M"),
            f"{row['distance_m'] / 1000:.2f}" if row["distance_m"] else "",
            duration(row["timer_s"] or row["elapsed_s"]),
            _pace(row),
            f"{row['avg_hr']:.0f}" if row["avg_hr"] else "",
            session_text(row),
        ]
        table.add_row(*cells, *([_sources(row)] if show_source else []))
    return table


def session_text(row: dict[str, Any]) -> str:
    """What the activity was, in a few words: 'threshold 6x1km/2min', 'easy', 'cycling'."""
    if not _foot(row):
        return str(row["sport"])
    parts = [row.get("session_type") or ""]
    structure = row.get("structure")
    if structure and structure not in ("continuous", "unknown"):
        parts.append(structure)
    place = _SUB_SPORT_NAMES.get(row["sub_sport"] or "")
    if place:
        parts.append(f"({place})")
    return " ".join(p for p in parts if p) or str(row["sport"])


def _pace(row: dict[str, Any]) -> str:
    if not _foot(row):
        return ""
    return pace(row["distance_m"], row["timer_s"] or row["elapsed_s"]).removesuffix("/km")


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


def _foot(row: dict[str, Any]) -> bool:
    return row["sport"] in ("running", "walking", "hiking")


def _sources(row: dict[str, Any]) -> str:
    sources = row["sources"] or ""
    extra = row["recordings"] - 1
    return f"{sources} (+{extra} linked)" if extra > 0 else sources


def _round(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None else None
