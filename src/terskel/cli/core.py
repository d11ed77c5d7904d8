"""Core commands: init, import, activities, demo."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from terskel.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    INTERRUPTED,
    AppState,
    app,
    err,
    fail,
    open_store,
    out,
    print_at,
    progress_bar,
    term_width,
    terminated_exits,
)

if TYPE_CHECKING:  # start-up: pydantic, duckdb and polars load inside the commands
    from concurrent.futures import ProcessPoolExecutor

    from terskel.config import Settings
    from terskel.jobs.analyze import ImportStructures
    from terskel.jobs.import_summary import ImportSummary
    from terskel.store import Store


@app.command()
def init(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option(help="Overwrite an existing config file.")] = False,
) -> None:
    """Write a commented config file and create the store."""
    from terskel.config import write_example_config

    locations = ctx.ensure_object(AppState).locations
    if locations.config.exists() and force:
        locations.config.unlink()
    if locations.config.exists():
        out.print(f"config: {locations.config} (exists, kept; --force to overwrite)")
    else:
        write_example_config(locations.config)
        out.print(f"config: {locations.config} (written; edit it to set your time zone)")
    with open_store(ctx) as (store, _):
        out.print(f"store:  {store.path} (schema v{store.schema_version()})")


@app.command("import")
def import_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(
            help=".fit or .fit.gz files, folders (searched recursively), .zip archives."
        ),
    ],
    workers: Annotated[
        int | None, typer.Option(help="Decoding processes (default: one per core).")
    ] = None,
    analyse: Annotated[
        bool,
        typer.Option(
            "--analyze/--no-analyze", help="Find the structure of the new runs afterwards."
        ),
    ] = True,
) -> None:
    """Import FIT files; files already imported are recognised and skipped."""
    from terskel.sources.files import InputError, check_paths, count_fit_inputs

    try:
        check_paths(paths)
    except InputError as exc:
        fail(str(exc))
    for path in paths:
        if path.is_file() and not _importable(path):
            fail(f"{path}: not a FIT file (.fit, .fit.gz) or a .zip archive of them")
    fit_files = count_fit_inputs(paths)
    from terskel.jobs.pool import WorkerDied

    try:
        with terminated_exits(), ExitStack() as decoding:
            # the workers first: their start-up runs beside this process's imports and the
            # store's opening (jobs/pool.py)
            pool = _early_workers(decoding, workers, fit_files)
            with open_store(ctx) as (store, settings):
                summary = _import_with_progress(
                    store, paths, settings, workers, analyse, pool, fit_files
                )
                decoding.close()  # the workers exit while the analysis runs (not waited for)
                _analyse_after(store, settings, summary, analyse)
    except KeyboardInterrupt:
        err.print(INTERRUPTED, highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except WorkerDied as exc:
        fail(str(exc), EXIT_PARTIAL)
    raise typer.Exit(EXIT_PARTIAL if summary.failed or summary.quarantined else EXIT_OK)


def _early_workers(
    stack: ExitStack, workers: int | None, fit_files: int
) -> ProcessPoolExecutor | None:
    """The decoding workers, started now when the import wants them, and SIGTERM raised as
    `Terminated` from now on (both ended with `stack`)."""
    from terskel.jobs.interrupts import sigterm_as_interrupt
    from terskel.jobs.pool import decoding_pool, wanted_workers

    stack.enter_context(sigterm_as_interrupt())
    count = wanted_workers(workers, fit_files)
    return stack.enter_context(decoding_pool(count, warm=True)) if count else None


def _analyse_after(store: Store, settings: Settings, summary: ImportSummary, analyse: bool) -> None:
    """The import's summary, then the rest of the analysis of the new runs."""
    _print_import_summary(summary)
    if analyse:  # the analysis stack loads only here: --no-analyze never pays for it
        from terskel.jobs.analyze import AthleteProfile, analyze

        analysed = analyze(store, athlete=AthleteProfile.from_settings(settings.athlete))
        if analysed.activities:
            out.print(
                f"analysed {analysed.activities} new runs: "
                f"{analysed.interval_sessions} with intervals"
            )


def _import_with_progress(
    store: Store,
    paths: list[Path],
    settings: Settings,
    workers: int | None,
    analyse: bool,
    pool: ProcessPoolExecutor | None = None,
    fit_files: int | None = None,
) -> ImportSummary:
    from terskel.jobs.ingest import count_inputs, import_paths

    total = count_inputs(paths, fit_files)
    structures = _structures_of(store) if analyse else None
    with progress_bar("importing", eta=True) as progress:
        task = progress.add_task("import", total=total)
        summary = import_paths(
            store,
            paths,
            fallback_tz=settings.athlete.timezone,
            workers=workers,
            total=total,
            on_file=lambda _label: progress.advance(task),
            on_batch=structures,
            pool=pool,
        )
    if structures is not None:
        structures.finish()
    return summary


def _structures_of(store: Store) -> ImportStructures:
    """Detects the structure of the runs saved so far in the import's worker processes
    (the rest of the analysis follows)."""
    from terskel.jobs.analyze import ImportStructures

    return ImportStructures(store)


def _print_import_summary(summary: ImportSummary, warnings: bool = True) -> None:
    for label, reason in summary.failed:
        err.print(f"[red]failed[/red]  {escape(label)}: {escape(reason)}", highlight=False)
    for label, reason in summary.skipped:
        err.print(f"[yellow]skipped[/yellow] {escape(label)}: {escape(reason)}", highlight=False)
    for label, warning in summary.warnings if warnings else []:
        err.print(f"[yellow]warning[/yellow] {escape(label)}: {escape(warning)}", highlight=False)
    for label, reason in summary.quarantined:
        err.print(f"[red]quarantined[/red] {escape(label)}: {escape(reason)}", highlight=False)
    seen = summary.imported + summary.linked + summary.present
    if seen + len(summary.skipped) + len(summary.failed) == 0:
        err.print("[yellow]warning[/yellow] no .fit, .fit.gz or .zip files found there")
    linked = f", {summary.linked} linked to activities already stored" if summary.linked else ""
    held = len(summary.quarantined)
    quarantined = f", quarantined {held} (implausible values)" if held else ""
    out.print(
        f"imported {summary.imported}{linked}, already present {summary.present}, "
        f"skipped {len(summary.skipped)}, failed {len(summary.failed)}{quarantined}",
        soft_wrap=True,
    )


def _importable(path: Path) -> bool:
    """A FIT or zip file by name, or by its first bytes (a FIT header or a zip signature)."""
    from terskel.sources.files import is_fit_name

    if is_fit_name(path.name) or path.name.lower().endswith(".zip"):
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
    except OSError:
        return True  # let the import say why it cannot read it
    # FIT: '.FIT' at byte 8 of the header; zip: 'PK\x03\x04'; gzip: 1f 8b
    return head[8:12] == b".FIT" or head[:4] == b"PK\x03\x04" or head[:2] == b"\x1f\x8b"


# what runners type -> FIT sport names
SPORT_ALIASES = {"run": "running", "ride": "cycling", "bike": "cycling", "swim": "swimming"}


def sport_name(sport: str | None) -> str | None:
    """A FIT sport name for what the user typed (`run` -> `running`)."""
    return SPORT_ALIASES.get(sport.lower(), sport.lower()) if sport else None


@app.command()
def activities(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(
            metavar="WHEN",
            help="Only activities on or after this local date: 2026-11-03, 2026-W45, today, "
            "yesterday or 7d (the last 7 days).",
        ),
    ] = None,
    sport: Annotated[
        str | None,
        typer.Option(help="Only this sport: run, ride, swim, or a FIT sport name (running ...)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    held: Annotated[
        bool,
        typer.Option(
            "--quarantined", help="List activities held back for implausible values instead."
        ),
    ] = False,
) -> None:
    """List the activities in the store, newest first."""
    if held:
        _list_quarantined(ctx, as_json)
        return
    from terskel.reports.activities import activities_json, activities_table

    try:
        first = parse_since(since, dt.date.today()) if since else None
    except ValueError as exc:
        fail(f"--since: {exc}")
    with open_store(ctx, read_only=True) as (store, _):
        frame = store.activities(first, sport_name(sport))
        known = store.activities()["sport"].unique().sort().to_list() if sport else []
    if sport and sport_name(sport) not in known:
        aliases = ", ".join(f"{k} ({v})" for k, v in SPORT_ALIASES.items())
        fail(
            f"--sport {sport}: no such sport in the store; it has "
            f"{', '.join(known) or 'no activities'} (aliases: {aliases})"
        )
    if as_json:
        print(json.dumps(activities_json(frame), indent=2))
    elif frame.height == 0:
        out.print("no activities" + (f" since {first}" if first else ""))
    else:
        out.print(activities_table(frame, f"{frame.height} activities"))


def _list_quarantined(ctx: typer.Context, as_json: bool) -> None:
    from terskel.reports.quarantine import quarantine_json, quarantine_table
    from terskel.store.quarantine import quarantined

    with open_store(ctx, read_only=True) as (store, _):
        frame = quarantined(store)
    if as_json:
        print(json.dumps(quarantine_json(frame), indent=2))
    else:
        out.print(quarantine_table(frame, f"{frame.height} quarantined activities"))


def parse_since(text: str, today: dt.date) -> dt.date:
    """'2026-11-03', '2026-W45' (its Monday), 'today', 'yesterday', '7d' (7 days back)."""
    from terskel.reports.weekly import parse_week, week_start

    word = text.strip().lower()
    if word in ("today", "yesterday"):
        return today - dt.timedelta(days=0 if word == "today" else 1)
    if word.endswith("d") and word[:-1].isdigit():
        return today - dt.timedelta(days=int(word[:-1]))
    try:
        return dt.date.fromisoformat(word)
    except ValueError:
        pass
    try:
        return week_start(parse_week(word))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date: use 2026-11-03, 2026-W45, today, yesterday or 7d"
        ) from None


@app.command()
def demo(ctx: typer.Context) -> None:
    """Import the bundled real runs into a temporary store; end with their weekly report."""
    from terskel.config import Settings
    from terskel.jobs.analyze import analyze
    from terskel.jobs.demo import NOTE, assemble_weeks, demo_folders, demo_week
    from terskel.jobs.ingest import count_inputs, import_paths
    from terskel.jobs.reporting import weekly_report
    from terskel.reports.activities import activities_table
    from terskel.reports.weekly_render import week_renderable
    from terskel.store import Store

    with tempfile.TemporaryDirectory(prefix="terskel-demo-") as folder:
        folders = demo_folders()
        with Store.open(Path(folder) / "demo.duckdb") as store:
            out.print(f"Importing {count_inputs(folders)} real FIT files bundled with terskel ...")
            summary = import_paths(store, folders, workers=1)
            # one bundled sample is a real damaged file (salvaged on purpose): not the user's news
            _print_import_summary(summary, warnings=False)
            week = demo_week(dt.date.today())
            assemble_weeks(store, week)
            analyze(store)
            out.print(activities_table(store.activities(), "The sample activities"))
            report, _ = weekly_report(store, Settings(), week)
    out.print(
        "\nNext: [bold]terskel init[/bold], then [bold]terskel import[/bold] your own .fit files "
        "or a Garmin export .zip; [bold]terskel report week[/bold] then measures your weeks."
    )
    out.print(f"\n[bold]Weekly report of the demo[/bold]. {NOTE}\n", highlight=False)
    print_at(week_renderable(report, term_width(ctx)), term_width(ctx))
