"""`terskel status`: the last sync runs in a compact table."""

from __future__ import annotations

import polars as pl
from rich import box
from rich.table import Table


def sync_runs_table(runs: pl.DataFrame) -> Table:
    """One row per run: when (UTC), source, status, counts, message, resume time."""
    table = Table(title="Last sync runs (UTC)", title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("started", "source", "status", "new", "upd", "failed", "note"):
        table.add_column(name, justify="right" if name in ("new", "upd", "failed") else "left")
    for row in runs.iter_rows(named=True):
        note = row["message"] or ""
        if row["resume_after"] is not None:
            note = f"{note} more after {row['resume_after']:%m-%d %H:%M}".strip()
        status = row["status"]
        colour = "green" if status == "ok" else "yellow" if status == "partial" else "red"
        table.add_row(
            f"{row['started_at']:%Y-%m-%d %H:%M}",
            row["source"],
            f"[{colour}]{status}[/{colour}]",
            str(row["new"]),
            str(row["updated"]),
            str(row["failed"]),
            note,
        )
    return table
