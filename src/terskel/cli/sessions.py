"""`terskel sessions`: one session's type and why; the runner's corrections."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.table import Table

from terskel.analysis.session_types import SESSION_TYPES
from terskel.cli.common import app, fail, open_store, out


@app.command()
def sessions(
    ctx: typer.Context,
    activity: Annotated[
        int | None, typer.Argument(help="An activity id (omit to list your corrections).")
    ] = None,
    set_type: Annotated[
        str | None,
        typer.Option("--type", help=f"Set this session's type: {', '.join(SESSION_TYPES)}."),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Drop your type; the rules decide again.")
    ] = False,
) -> None:
    """Show why a session got its type; --type sets yours (kept through rebuilds)."""
    from terskel.jobs.analyze import AthleteProfile
    from terskel.jobs.corrections import CorrectionError, clear_type
    from terskel.jobs.corrections import set_type as store_type

    if activity is None:
        if set_type or clear:
            fail("--type and --clear need an activity id: terskel sessions ID --type easy")
        with open_store(ctx, read_only=True) as (store, _):
            rows = store.corrections()
        out.print(_corrections_table(rows) if rows.height else "no corrections stored")
        return
    if set_type and clear:
        fail("give --type or --clear, not both")
    with open_store(ctx, read_only=not (set_type or clear)) as (store, settings):
        profile = AthleteProfile.from_settings(settings.athlete)
        try:
            if set_type:
                store_type(store, profile, activity, set_type)
            elif clear and not clear_type(store, profile, activity):
                out.print(f"activity {activity}: no type of yours to clear")
        except CorrectionError as exc:
            fail(str(exc))
        row = store.sessions([activity])
        fixes = store.corrections().filter(activity_id=activity)
    if row.is_empty():
        fail(f"activity {activity} has no session type yet (run `terskel analyze`)")
    session = row.row(0, named=True)
    source = "user" if "type" in fixes["kind"].to_list() else "rules"
    mark = "?" if session.get("disputed") else ""  # HR, pace and power disagreed
    out.print(f"{activity}: {session['session_type']}{mark} ({source})", highlight=False)
    out.print(f"  structure: {session['structure'] or '-'}", highlight=False)
    out.print(f"  why: {session['reason']}", highlight=False)
    out.print(f"  intensity from: {session['intensity_basis']}", highlight=False)


def _corrections_table(rows: object) -> Table:
    import polars as pl

    assert isinstance(rows, pl.DataFrame)
    table = Table(title="Your corrections", title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("activity", "what", "value", "set at"):
        table.add_column(name)
    for r in rows.iter_rows(named=True):
        table.add_row(
            str(r["activity_id"]), r["kind"], r["value"], f"{r['created_at']:%Y-%m-%d %H:%M}"
        )
    return table
