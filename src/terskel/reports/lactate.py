"""Lactate across a session's reps (beside pace and HR) and the athlete's calibration."""

from __future__ import annotations

import polars as pl
from rich import box
from rich.table import Table

from terskel.analysis.athlete import LactateFit, curve_slope
from terskel.reports.athlete import pace_text

# |slope| under this (mmol/L per rep) is a flat curve
FLAT_SLOPE = 0.1


def curve_table(readings: pl.DataFrame, title: str) -> Table:
    """One row per reading in rep order: set, rep, pace, HR (2nd half), mmol/L."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("set", "rep", "pace", "HR 2nd half", "mmol/L", "note"):
        table.add_column(name, justify="left" if name == "note" else "right")
    for row in _ordered(readings).iter_rows(named=True):
        table.add_row(
            _num(row["set_no"]),
            _num(row["rep_no"]),
            pace_text(row["avg_speed_mps"]) if row["avg_speed_mps"] else "",
            f"{row['avg_hr_2nd_half']:.0f}" if row["avg_hr_2nd_half"] else "",
            f"{row['mmol']:.1f}",
            row["note"] or "",
        )
    return table


def slope_line(readings: pl.DataFrame) -> str:
    """The curve's slope and what it means (flat at the same pace: in shape)."""
    on_reps = _ordered(readings.filter(pl.col("rep_no").is_not_null()))
    single_set = on_reps["set_no"].n_unique() <= 1
    reps = on_reps["rep_no"] if single_set else pl.Series(range(1, on_reps.height + 1))
    mmol = on_reps["mmol"].to_list()
    slope = curve_slope([float(r) for r in reps.to_list()], mmol)
    if slope is None:
        return "lactate curve: one reading, no slope"
    trend = (
        "flat: in control"
        if abs(slope) < FLAT_SLOPE
        else ("climbing: losing control (or faster reps)" if slope > 0 else "falling")
    )
    return f"lactate curve: {slope:+.2f} mmol/L per rep over {len(mmol)} readings ({trend})"


def calibration_lines(hr_fit: LactateFit | None, speed_fit: LactateFit | None) -> list[str]:
    """The HR and pace giving 2.0-3.0 mmol/L, with the readings they rest on."""
    lines = []
    if hr_fit:
        lines.append(
            f"HR for 2.0-3.0 mmol/L: {hr_fit.lo:.0f}-{hr_fit.hi:.0f} bpm "
            f"({hr_fit.readings} readings, {hr_fit.slope:.3f} mmol/L per bpm)"
        )
    if speed_fit:
        lines.append(
            f"pace for 2.0-3.0 mmol/L: {pace_text(speed_fit.lo)} to {pace_text(speed_fit.hi)} "
            f"({speed_fit.readings} readings)"
        )
    return lines or ["no calibration yet: it needs 5 readings on reps with HR or pace, rising"]


def _ordered(readings: pl.DataFrame) -> pl.DataFrame:
    return readings.sort("set_no", "rep_no", "taken_at", nulls_last=True)


def _num(value: int | None) -> str:
    return "" if value is None else str(value)
