"""`terskel sync` and the `terskel auth` group."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from terskel.cli.common import (
    EXIT_AUTH,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    INTERRUPTED,
    AppState,
    app,
    err,
    fail,
    open_store,
    out,
    terminated_exits,
)

if TYPE_CHECKING:  # start-up: pydantic, duckdb and polars load inside the commands
    from terskel.config import Settings
    from terskel.jobs.sync import SourceReport, SyncOptions
    from terskel.store import Store

auth_app = typer.Typer(
    help="Sign in to Strava or Garmin Connect. Tokens are saved in a 0600 file beside "
    "the config file; passwords and secrets are never stored.",
    no_args_is_help=True,
)
app.add_typer(auth_app, name="auth")


def configured_sources(settings: Settings, options: SyncOptions) -> list[str]:
    """Sources to sync: the config's list, else every source with a login, plus folders."""
    from terskel.config import GARMIN_TOKEN_DIR, STRAVA_TOKEN_FILE

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
    quiet: Annotated[bool, typer.Option(help="Print only problems (for cron).")] = False,
    report_dir: Annotated[
        Path | None,
        typer.Option(help="Write the last complete week's report (HTML and JSON) here."),
    ] = None,
) -> None:
    """Pull new activities from every source, import and analyse them. Safe for cron.

    It never prompts: a missing login exits 3 with the command to run. Exit 1
    when some items failed (each listed, nothing already fetched is lost); a
    second sync while one runs exits at once. Every run is kept in sync_log
    (see `terskel status`).
    """
    from terskel.config import secrets_dir
    from terskel.jobs.analyze import AthleteProfile, analyze
    from terskel.jobs.interrupts import sigterm_as_interrupt
    from terskel.jobs.sync import SyncOptions, sync_source

    locations = ctx.ensure_object(AppState).locations
    options = SyncOptions(full, wait, sys.stdin.isatty(), secrets_dir(locations))
    # SIGTERM (cron's timeout, systemd) stops it like Ctrl-C, rows end `interrupted`; from
    # before the store opens, so one that lands in its migrations waits for their end
    # (`sigterm_held`) instead of killing the process part-way
    try:
        with (
            terminated_exits(),  # exit codes as `import`'s (README, *Exit codes*)
            sigterm_as_interrupt() as stopping,
            open_store(ctx) as (store, settings),
        ):
            sources = _sources_to_sync(source, settings, options)
            reports = [
                sync_source(store, settings, name, options, _ignore, stopping) for name in sources
            ]
            analysed = analyze(store, athlete=AthleteProfile.from_settings(settings.athlete))
            written = _write_report(store, settings, report_dir) if report_dir else []
    except KeyboardInterrupt:
        err.print(INTERRUPTED, highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    code = _exit_code(reports)
    if written and not quiet:
        out.print(f"report: {written[0]}", soft_wrap=True, highlight=False)
    _print_reports(reports, quiet)
    if not quiet or code != EXIT_OK:
        err.print(_summary_line(reports, analysed.activities), soft_wrap=True, highlight=False)
    raise typer.Exit(code)


def _write_report(store: Store, settings: Settings, folder: Path) -> list[Path]:
    """The weekly report files; a failure to write them is one line, not a lost sync."""
    from terskel.jobs.reporting import write_latest_report
    from terskel.models import TemplateError

    try:
        return write_latest_report(store, settings, folder)
    except (OSError, TemplateError) as exc:
        err.print(f"[red]report[/red]: {folder}: {exc}", soft_wrap=True, highlight=False)
        return []


def _ignore(_label: str) -> None:
    """Progress callback for unattended runs."""


def _sources_to_sync(
    given: list[str] | None, settings: Settings, options: SyncOptions
) -> list[str]:
    """The sources named on the command line, else the configured ones; checked."""
    from terskel.jobs.sync import CONNECTORS

    sources = given or configured_sources(settings, options)
    unknown = sorted(set(sources) - set(CONNECTORS))
    if unknown:
        fail(f"unknown source {unknown[0]!r} (choose from {', '.join(CONNECTORS)})")
    if not sources:
        fail(
            "nothing to sync: run `terskel auth garmin` or `terskel auth strava`, "
            "or set [sync] folders in the config"
        )
    return sources


def _print_reports(reports: list[SourceReport], quiet: bool) -> None:
    """Failures always (stderr); one line per source unless quiet."""
    for report in reports:
        for label, reason in report.failed:
            err.print(f"[red]failed[/red]  {report.source}: {label}: {reason}", highlight=False)
        if report.status != "ok" and report.message:
            message = escape(report.message.removeprefix(f"{report.source}: "))
            err.print(f"[red]{report.source}[/red]: {message}", soft_wrap=True)
        elif not quiet:
            out.print(_source_line(report), soft_wrap=True, highlight=False)


def _source_line(report: SourceReport) -> str:
    line = f"{report.source}: {report.new} new, {report.updated} updated"
    if report.deleted:
        line += f", {report.deleted} deleted upstream"
    if report.failed:
        line += f", {len(report.failed)} failed"
    if report.resume_after:
        line += f"; the rest after {report.resume_after:%Y-%m-%d %H:%M} UTC (rate limit)"
    return line


def _summary_line(reports: list[SourceReport], analysed: int) -> str:
    """The run in one line: per source new/updated/failed, and when to continue."""
    parts = [
        f"{r.source} {r.new} new/{r.updated} updated/{len(r.failed)} failed"
        + ("" if r.status == "ok" else f" ({r.status})")
        for r in reports
    ]
    resume = [r.resume_after for r in reports if r.resume_after]
    tail = f"; rate limit: run again after {min(resume):%Y-%m-%d %H:%M} UTC" if resume else ""
    return f"sync: {'; '.join(parts)}; analysed {analysed}{tail}"


def _exit_code(reports: list[SourceReport]) -> int:
    """3 when a login is needed, 1 when anything else went wrong, else 0."""
    if any(r.status == "auth" for r in reports):
        return EXIT_AUTH
    if any(r.status != "ok" for r in reports):
        return EXIT_PARTIAL
    return EXIT_OK


__all__ = ["EXIT_USAGE", "auth_app"]
