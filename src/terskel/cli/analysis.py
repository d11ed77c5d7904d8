"""`terskel analyze` and `terskel intervals`: the structure of every run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from terskel.analysis.intervals import alternatives
from terskel.analysis.sessions import RULES as SESSION_RULES
from terskel.analyze import ANALYZED_SPORTS, AthleteProfile, structure
from terskel.analyze import analyze as run_analysis
from terskel.cli.common import app, err, fail, open_store, out
from terskel.reports.intervals import (
    alternatives_table,
    drift_line,
    intervals_json,
    intervals_table,
)
from terskel.sources.fit import FitError, decode

ANALYZE_HELP = (
    "Find the interval structure, time in zone and session type of every run "
    "(import and sync do this for new runs). After changing your markers in the "
    "config, run it with --rebuild.\n\nSession types, first rule that matches:\n\n"
    + "\n\n".join(f"- {rule}" for rule in SESSION_RULES)
)


@app.command(help=ANALYZE_HELP)
def analyze(
    ctx: typer.Context,
    rebuild: Annotated[bool, typer.Option(help="Recompute every run, not just new ones.")] = False,
    since: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only runs on or after this local date."),
    ] = None,
) -> None:
    """Find the interval structure of every run (import and sync do this for new runs)."""
    with open_store(ctx) as (store, settings):
        columns = (TextColumn("analysing"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=err, transient=True) as progress:
            task = progress.add_task("analyse", total=None)
            summary = run_analysis(
                store,
                since=since.date() if since else None,
                rebuild=rebuild,
                athlete=AthleteProfile.from_settings(settings.athlete),
                on_chunk=lambda done, total: progress.update(task, completed=done, total=total),
            )
    out.print(
        f"analysed {summary.activities} runs ({summary.samples} samples): "
        f"{summary.interval_sessions} with intervals; {summary.typed} session types"
    )


@app.command()
def intervals(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="An activity id from the store, or a .fit file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON contract.")] = False,
    no_laps: Annotated[
        bool, typer.Option("--no-laps", help="Ignore device laps; use the streams alone.")
    ] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show the scored readings the label was chosen from.")
    ] = False,
) -> None:
    """Show one session's reps and recoveries, with pace, heart rate and drift."""
    activity, samples, laps = _load(ctx, target)
    if activity.get("sport") not in ANALYZED_SPORTS:
        fail(
            f"{target}: a {activity.get('sport') or 'unknown sport'} activity; "
            "terskel finds the interval structure of runs only"
        )
    segments, labels = structure(samples.lazy(), laps.lazy(), use_laps=not no_laps)
    label = labels["label"][0] if labels.height else "unknown"
    source = labels["source"][0] if labels.height else "streams"
    confidence = labels["confidence"][0] if labels.height else None
    if as_json:
        doc = intervals_json(activity, segments, label, source, confidence)
        print(json.dumps(doc, indent=2))
        return
    out.print(intervals_table(segments, label, source, confidence))
    if explain:
        out.print(
            alternatives_table(alternatives(samples.lazy(), laps.lazy(), use_laps=not no_laps))
        )
    drift = drift_line(segments)
    if drift:
        out.print(drift)


def _load(ctx: typer.Context, target: str) -> tuple[dict[str, Any], pl.DataFrame, pl.DataFrame]:
    """An activity with its samples and laps: from a FIT file, or from the store by id."""
    path = Path(target)
    if path.is_file():
        try:
            session = decode(path.read_bytes()).sessions[0]
        except FitError as exc:
            fail(f"{path}: {exc}")
        activity = {
            "activity_id": None,
            "start_utc": session.start_utc,
            "sport": session.sport,
            "distance_m": session.distance_m,
            "elapsed_s": session.elapsed_s,
        }
        tag = pl.lit(0, dtype=pl.Int64).alias("activity_id")
        return activity, session.samples.with_columns(tag), session.laps.with_columns(tag)
    if not target.isdigit():
        fail(f"{target}: neither an activity id nor a file")
    with open_store(ctx, read_only=True) as (store, _):
        row = store.activity(int(target))
        if row is None:
            fail(f"no activity {target} in the store (see `terskel activities`)")
        return row, store.samples([int(target)]).collect(), store.laps([int(target)]).collect()
