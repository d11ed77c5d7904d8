"""`terskel status`: the last sync runs in a compact table."""

from __future__ import annotations

import polars as pl
from rich import box
from rich.table import Table

from terskel.store.sync_state import RetryItem


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


def retry_lines(queued: list[RetryItem]) -> list[str]:
    """What the sync gave up on (one line each), and how many items wait for a retry."""
    lines = [
        f"gave up: {item.source} activity {item.item_id} after {item.tries} tries "
        f"(last {item.last_failed} UTC: {item.error}); `terskel sync --full` tries again"
        for item in queued
        if item.given_up
    ]
    waiting: dict[str, int] = {}
    for item in queued:
        if not item.given_up:
            waiting[item.source] = waiting.get(item.source, 0) + 1
    if waiting:
        counts = ", ".join(f"{source} {n}" for source, n in sorted(waiting.items()))
        lines.append(f"waiting to be fetched again on the next sync: {counts}")
    return lines
