"""`terskel athlete`: markers in force, where each came from, and the zones they give."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from terskel.cli.common import app, open_store, out


@app.command()
def athlete(
    ctx: typer.Context,
    on: Annotated[
        dt.datetime | None,
        typer.Option(
            "--on", formats=["%Y-%m-%d"], help="Markers in force on this date (default: today)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Your markers in force today, where each came from, and the zone table they give."""
    from terskel.analysis.athlete import WINDOW_RULE
    from terskel.analysis.sessions import RULES
    from terskel.jobs.analyze import AthleteProfile, markers_on
    from terskel.reports.athlete import (
        athlete_json,
        band_lines,
        fit_lines,
        markers_table,
        zone_rule_line,
        zone_table,
    )

    day = on.date() if on else dt.date.today()
    with open_store(ctx, read_only=True) as (store, settings):
        profile = AthleteProfile.from_settings(settings.athlete)
        c, found, band = markers_on(store, profile, day)
    if as_json:
        print(json.dumps(athlete_json(day, found, band, profile.models), indent=2))
        return
    out.print(markers_table(found, day))
    chosen = next(m for m in profile.models if m.name == settings.athlete.zone_model)
    out.print(zone_table(chosen, found, band))
    if (rule := zone_rule_line(chosen, found, band)) is not None:
        out.print(rule, highlight=False)
    for line in band_lines(band, c.hr_fit, c.speed_fit) + fit_lines(c.hr_fit, c.speed_fit):
        out.print(line, highlight=False)
    out.print(f"\nEstimates: {WINDOW_RULE}", highlight=False)
    out.print("\nSession types (first rule that matches):")
    for rule in RULES:
        out.print(f"  {rule}", highlight=False)
