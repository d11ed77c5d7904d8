"""`terskel lactate add|import|show`: finger-prick readings, attached to reps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from terskel.cli.common import EXIT_OK, EXIT_PARTIAL, app, err, fail, open_store, out

if TYPE_CHECKING:  # start-up: polars and the analysis stack load inside the commands
    from terskel.jobs.lactate import AddOutcome
    from terskel.sources.lactate import Reading

lactate_app = typer.Typer(
    help="Lactate readings: add one, import a CSV, show a session's curve and your calibration.",
    no_args_is_help=True,
)
app.add_typer(lactate_app, name="lactate")


@lactate_app.command("add")
def add(
    ctx: typer.Context,
    activity: Annotated[int, typer.Argument(help="Activity id (see `terskel activities`).")],
    mmol: Annotated[str, typer.Argument(help="Reading in mmol/L, e.g. 2.4.")],
    rep: Annotated[
        int | None, typer.Option("--rep", help="The n-th work rep (counting across sets).")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Local time of day of the reading, HH:MM:SS.")
    ] = None,
    note: Annotated[str | None, typer.Option(help="A note kept with the reading.")] = None,
) -> None:
    """Add one reading after a rep: by rep number (--rep N) or by time (--at HH:MM:SS)."""
    from terskel.jobs.analyze import AthleteProfile
    from terskel.jobs.lactate import add_readings
    from terskel.sources.lactate import parse_mmol

    if (rep is None) == (at is None):
        fail("give exactly one of --rep N or --at HH:MM:SS")
    try:
        value = parse_mmol(mmol)
    except ValueError as exc:
        fail(str(exc))
    with open_store(ctx) as (store, settings):
        reading = _reading(store.activity(activity), activity, value, rep, at, note)
        outcome = add_readings(
            store, [reading], "manual", AthleteProfile.from_settings(settings.athlete)
        )
    if outcome.errors:  # the one reading could not be placed: a usage error, one line
        fail(outcome.errors[0])
    _print_outcome(outcome)


def _reading(
    row: dict[str, object] | None,
    activity: int,
    mmol: float,
    rep: int | None,
    at: str | None,
    note: str | None,
) -> Reading:
    """The reading the options describe (errors exit with one line)."""
    from terskel.jobs.lactate import at_time_of_day
    from terskel.sources.lactate import Reading

    if row is None:
        fail(f"no activity {activity} in the store (see `terskel activities`)")
    if rep is not None:
        if rep < 1:
            fail("--rep counts from 1")
        return Reading(0, mmol, activity=activity, rep=rep, note=note)
    try:
        clock = dt.time.fromisoformat(at or "")
    except ValueError:
        fail(f"--at {at!r} is not a time of day (HH:MM:SS)")
    return Reading(0, mmol, timestamp=at_time_of_day(row, clock), note=note)


@lactate_app.command("import")
def import_csv(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="CSV: timestamp or activity + rep, mmol, note.")],
) -> None:
    """Import readings from a CSV file; bad rows are listed by line, good rows are kept."""
    from terskel.jobs.analyze import AthleteProfile
    from terskel.jobs.lactate import add_readings
    from terskel.sources.lactate import LactateCsvError, parse_csv

    try:
        parsed = parse_csv(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read ({exc})")
    except LactateCsvError as exc:
        fail(f"{path}: {exc}")
    with open_store(ctx) as (store, settings):
        outcome = add_readings(
            store, parsed.readings, "csv", AthleteProfile.from_settings(settings.athlete)
        )
    outcome.errors = parsed.errors + outcome.errors
    _print_outcome(outcome)
    raise typer.Exit(EXIT_PARTIAL if outcome.errors else EXIT_OK)


def _print_outcome(outcome: AddOutcome) -> None:
    for error in sorted(outcome.errors, key=_line_no):
        err.print(f"[red]bad row[/red] {error}", highlight=False)
    for row in outcome.stored.iter_rows(named=True):
        where = f"set {row['set_no']} rep {row['rep_no']}" if row["rep_no"] else "no rep before it"
        out.print(f"activity {row['activity_id']}: {row['mmol']:.1f} mmol/L -> {where}")
    out.print(f"stored {outcome.stored.height} readings, {len(outcome.errors)} bad")
    if outcome.stored.height:
        out.print(
            "sessions of those days re-typed; "
            "`terskel analyze --rebuild` applies a new calibration to all"
        )


def _line_no(error: str) -> int:
    head = error.split(":", 1)[0].removeprefix("line ")
    return int(head) if head.isdigit() else 0


@lactate_app.command("show")
def show(
    ctx: typer.Context,
    activity: Annotated[
        int | None, typer.Argument(help="Activity id: its lactate curve. None: your calibration.")
    ] = None,
) -> None:
    """A session's lactate across reps (with pace, HR and slope), or your HR/pace calibration."""
    import polars as pl

    from terskel.analysis.athlete import attach_readings
    from terskel.jobs.analyze import AthleteProfile, context
    from terskel.reports.athlete import fit_lines
    from terskel.reports.lactate import curve_table, slope_line

    with open_store(ctx, read_only=True) as (store, settings):
        if activity is None:
            c = context(store, AthleteProfile.from_settings(settings.athlete))
            for line in fit_lines(c.hr_fit, c.speed_fit):
                out.print(line)
            return
        readings = store.lactate_readings([activity])
        if readings.is_empty():
            fail(f"no lactate readings on activity {activity}", EXIT_PARTIAL)
        attached = attach_readings(readings, store.intervals([activity]))
    out.print(curve_table(attached, f"Lactate on activity {activity}"))
    out.print(slope_line(attached.filter(pl.col("mmol").is_not_null())))
