"""`terskel sync` and the `terskel auth` group."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from terskel.cli.common import (
    EXIT_AUTH,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    AppState,
    app,
    err,
    fail,
    open_store,
    out,
)
from terskel.config import GARMIN_TOKEN_DIR, STRAVA_TOKEN_FILE, Settings, secrets_dir
from terskel.sync import CONNECTORS, SourceReport, SyncOptions, sync_source

auth_app = typer.Typer(
    help="Sign in to Strava or Garmin Connect. Tokens are saved in a 0600 file beside "
    "the config file; passwords and secrets are never stored.",
    no_args_is_help=True,
)
app.add_typer(auth_app, name="auth")


def configured_sources(settings: Settings, options: SyncOptions) -> list[str]:
    """Sources to sync: the config's list, else every source with a login, plus folders."""
    if settings.sync.sources:
        return list(settings.sync.sources)
    found = []
    if (options.secrets_dir / GARMIN_TOKEN_DIR).exists():
        found.append("garmin")
    if (options.secrets_dir / STRAVA_TOKEN_FILE).exists():
        found.append("strava")
    if settings.sync.folders:
        found.append("folders")
    return found


@app.command()
def sync(
    ctx: typer.Context,
    source: Annotated[
        list[str] | None,
        typer.Option(help="Only this source (garmin, strava, folders); repeatable."),
    ] = None,
    full: Annotated[
        bool, typer.Option(help="Walk the whole history and mark activities deleted upstream.")
    ] = False,
    wait: Annotated[
        bool, typer.Option(help="Wait out rate-limit windows instead of stopping.")
    ] = False,
) -> None:
    """Pull new activities from your sources. Safe for cron: it never prompts."""
    locations = ctx.ensure_object(AppState).locations
    options = SyncOptions(full, wait, sys.stdin.isatty(), secrets_dir(locations))
    with open_store(ctx) as (store, settings):
        sources = source or configured_sources(settings, options)
        unknown = sorted(set(sources) - set(CONNECTORS))
        if unknown:
            fail(f"unknown source {unknown[0]!r} (choose from {', '.join(CONNECTORS)})")
        if not sources:
            fail("nothing to sync: run `terskel auth garmin` or `terskel auth strava` first")
        reports = [
            sync_source(store, settings, name, options, lambda _label: None) for name in sources
        ]
    raise typer.Exit(_report(reports))


def _report(reports: list[SourceReport]) -> int:
    """Print one line per source and return the exit code of the whole run."""
    for report in reports:
        for label, reason in report.failed:
            err.print(f"[red]failed[/red]  {report.source}: {label}: {reason}", highlight=False)
        line = f"{report.source}: {report.new} new, {report.updated} updated"
        if report.deleted:
            line += f", {report.deleted} deleted upstream"
        if report.failed:
            line += f", {len(report.failed)} failed"
        if report.resume_after:
            line += f"; more after {report.resume_after:%Y-%m-%d %H:%M} UTC (rate limit)"
        if report.message:
            line += f" ({report.message})" if report.status == "ok" else f": {report.message}"
        (out if report.status == "ok" else err).print(line, soft_wrap=True, highlight=False)
    if any(r.status == "auth" for r in reports):
        return EXIT_AUTH
    if any(r.status != "ok" for r in reports):
        return EXIT_PARTIAL
    return EXIT_OK


__all__ = ["EXIT_USAGE", "auth_app"]
