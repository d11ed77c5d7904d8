"""One session's structure: a terminal table and the stable JSON contract."""

from __future__ import annotations

from typing import Any

import polars as pl
from rich import box
from rich.table import Table

from terskel.reports.format import duration, utc_iso


def intervals_json(
    activity: dict[str, Any],
    segments: pl.DataFrame,
    label: str,
    source: str,
    confidence: float | None = None,
) -> dict[str, Any]:
    """`terskel intervals --json`: activity, source, label and every segment (stable keys)."""
    return {
        "activity": {
            "id": activity.get("activity_id"),
            "start": utc_iso(activity["start_utc"]),
            "sport": activity.get("sport"),
            "distance_m": _r(activity.get("distance_m"), 1),
            "duration_s": _r(activity.get("elapsed_s"), 1),
        },
        "source": source,
        "label": label,
        "confidence": _r(confidence, 3),
        "segments": [_segment_json(row) for row in segments.iter_rows(named=True)],
    }


def _segment_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": row["kind"],
        "set": row["set_no"],
        "rep": row["rep_no"],
        "start": utc_iso(row["start_utc"]),
        "end": utc_iso(row["end_utc"]),
        "duration_s": _r(row["duration_s"], 1),
        "distance_m": _r(row["distance_m"], 1),
        "avg_speed_mps": _r(row["avg_speed_mps"], 3),
        "max_speed_mps": _r(row["max_speed_mps"], 3),
        "avg_hr": _r(row["avg_hr"], 1),
        "max_hr": _r(row["max_hr"], 1),
        "avg_hr_2nd_half": _r(row["avg_hr_2nd_half"], 1),
        "avg_cadence_spm": _r(row["avg_cadence_spm"], 1),
        "avg_power_w": _r(row["avg_power_w"], 1),
    }


def intervals_table(
    segments: pl.DataFrame, label: str, source: str, confidence: float | None = None
) -> Table:
    """Segments with pace and HR; reps numbered set.rep."""
    sure = f", confidence {confidence:.2f}" if confidence is not None else ""
    title = f"{label}  (from {source}{sure})"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("", "kind", "time", "dist", "pace", "HR", "HR 2nd half", "max HR"):
        table.add_column(name, justify="left" if name in ("", "kind") else "right")
    for row in segments.iter_rows(named=True):
        rep = f"{row['set_no']}.{row['rep_no']}" if row["rep_no"] is not None else ""
        style = "bold" if row["kind"] == "work" else "dim" if row["kind"] == "recovery" else None
        table.add_row(
            rep,
            row["kind"],
            duration(row["duration_s"]),
            f"{row['distance_m']:.0f} m" if row["distance_m"] is not None else "",
            _pace(row["avg_speed_mps"]),
            _hr(row["avg_hr"]),
            _hr(row["avg_hr_2nd_half"]),
            _hr(row["max_hr"]),
            style=style,
        )
    return table


def alternatives_table(alts: pl.DataFrame) -> Table:
    """The readings detection weighed, best first: label, score (nats over continuous)."""
    table = Table(title="readings considered", title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("", "label", "score"):
        table.add_column(name, justify="right" if name == "score" else "left")
    for row in alts.sort("rank").iter_rows(named=True):
        table.add_row("*" if row["chosen"] else "", row["label"], f"{row['score']:.1f}")
    return table


def drift_line(segments: pl.DataFrame) -> str | None:
    """First rep to last rep: pace and heart-rate drift, in words."""
    work = segments.filter(pl.col("kind") == "work")
    if work.height < 2:
        return None
    first, last = work.row(0, named=True), work.row(-1, named=True)
    parts = []
    if first["avg_speed_mps"] and last["avg_speed_mps"]:
        change = 1000 / last["avg_speed_mps"] - 1000 / first["avg_speed_mps"]
        parts.append(f"pace {change:+.0f} s/km")
    hr_first = first["avg_hr_2nd_half"] or first["avg_hr"]
    hr_last = last["avg_hr_2nd_half"] or last["avg_hr"]
    if hr_first and hr_last:
        parts.append(f"heart rate {hr_last - hr_first:+.0f} bpm")
    if not parts:
        return None
    return f"drift, first to last rep: {', '.join(parts)}"


def _pace(speed: float | None) -> str:
    if not speed or speed <= 0.3:
        return ""
    minutes, seconds = divmod(round(1000 / speed), 60)
    return f"{minutes}:{seconds:02d}/km"


def _hr(value: float | None) -> str:
    return f"{value:.0f}" if value is not None else ""


def _r(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None else None
