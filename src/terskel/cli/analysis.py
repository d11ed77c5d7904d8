"""`terskel analyze` and `terskel intervals`: the structure of every run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from terskel.cli.common import RulesHelp, app, fail, open_store, out, progress_bar

if TYPE_CHECKING:  # start-up: polars and the analysis stack load inside the commands
    import polars as pl

ANALYZE_HELP = (
    "Find the interval structure, time in zone and session type of every run "
    "(import and sync do this for new runs). After changing your markers in the "
    "config, run it with --zones (zones and session types again, structure kept)."
    "\n\nSession types, first rule that matches:"
)


@app.command(help=ANALYZE_HELP, cls=RulesHelp, short_help=ANALYZE_HELP.split("\n\n")[0])
def analyze(
    ctx: typer.Context,
    rebuild: Annotated[bool, typer.Option(help="Recompute every run, not just new ones.")] = False,
    since: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only runs on or after this local date."),
    ] = None,
    zones_only: Annotated[
        bool,
        typer.Option(
            "--zones", help="Only zones and session types again (after a marker changed)."
        ),
    ] = False,
) -> None:
    """Find the interval structure of every run (import and sync do this for new runs)."""
    from terskel.jobs.analyze import AthleteProfile
    from terskel.jobs.analyze import analyze as run_analysis
    from terskel.jobs.recompute import rezone

    with open_store(ctx) as (store, settings), progress_bar("analysing") as progress:
        task = progress.add_task("analyse", total=None)
        profile = AthleteProfile.from_settings(settings.athlete)
        day = since.date() if since else None
        update = lambda done, total: progress.update(task, completed=done, total=total)  # noqa: E731
        if zones_only:
            summary = rezone(store, profile, since=day, on_chunk=update)
        else:
            summary = run_analysis(
                store, since=day, rebuild=rebuild, athlete=profile, on_chunk=update
            )
    if zones_only:
        out.print(
            f"zones of {summary.activities} runs ({summary.samples} samples) again, "
            f"structure kept; {summary.typed} session types"
        )
        return
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
    set_label: Annotated[
        str | None,
        typer.Option(
            "--set", help='Store your structure ("5x1km/2min", "continuous"); beats detection.'
        ),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Drop your structure; detect it again.")
    ] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show the scored readings the label was chosen from.")
    ] = False,
) -> None:
    """Show one session's reps and recoveries, with pace, heart rate and drift."""
    from terskel.analysis.intervals import alternatives
    from terskel.jobs.analyze import ANALYZED_SPORTS, structure
    from terskel.reports.intervals import (
        alternatives_table,
        drift_line,
        intervals_json,
        intervals_table,
    )

    if set_label is not None or clear:
        _correct(ctx, target, set_label, clear)
        return
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
    _user_structure(ctx, target)


def _user_structure(ctx: typer.Context, target: str) -> None:
    """Say so when the runner set this activity's structure (it beats what is shown above)."""
    import polars as pl

    if not target.isdigit():
        return
    with open_store(ctx, read_only=True) as (store, _):
        mine = store.corrections("structure").filter(pl.col("activity_id") == int(target))
    if mine.height:
        out.print(
            f"your structure: {mine['value'][0]} (source user, confidence 1; it is what "
            "typing and the report use)",
            highlight=False,
        )


def _correct(ctx: typer.Context, target: str, label: str | None, clear: bool) -> None:
    """Store or drop the runner's structure of a stored activity, then show its session."""
    from terskel.jobs.analyze import AthleteProfile
    from terskel.jobs.corrections import CorrectionError, clear_structure, set_structure

    if not target.isdigit():
        fail(f"{target}: --set and --clear need an activity id from the store")
    if label is not None and clear:
        fail("give --set or --clear, not both")
    aid = int(target)
    with open_store(ctx) as (store, settings):
        profile = AthleteProfile.from_settings(settings.athlete)
        try:
            if label is not None:
                stored = set_structure(store, profile, aid, label)
                out.print(f"{aid}: structure {stored} (source user, confidence 1)", highlight=False)
            elif not clear_structure(store, profile, aid):
                out.print(f"{aid}: no structure of yours to clear", highlight=False)
        except CorrectionError as exc:
            fail(str(exc))
        session = store.sessions([aid])
    if session.height:
        row = session.row(0, named=True)
        out.print(f"{aid}: {row['structure']}, typed {row['session_type']}", highlight=False)


def _load(ctx: typer.Context, target: str) -> tuple[dict[str, Any], pl.DataFrame, pl.DataFrame]:
    """An activity with its samples and laps: from a FIT file, or from the store by id."""
    import polars as pl

    from terskel.sources.fit import FitError, decode

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
