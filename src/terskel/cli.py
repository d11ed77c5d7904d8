"""The `terskel` command line: each command loads config, opens the store, calls one function."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from terskel import __version__
from terskel.config import (
    ConfigError,
    Locations,
    Settings,
    db_path,
    load_settings,
    resolve_locations,
    write_example_config,
)
from terskel.ingest import ImportSummary, import_paths
from terskel.reports.activities import activities_json, activities_table
from terskel.sources.files import InputError, check_paths, count_inputs
from terskel.store import Store, StoreError

# Exit codes (the contract scripts and cron rely on).
EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_AUTH = 0, 1, 2, 3

app = typer.Typer(
    name="terskel",
    help="Your running history in one DuckDB file, measured against the Norwegian "
    "threshold model.\n\nStart with [bold]terskel demo[/bold] (no account needed), then "
    "[bold]terskel import FOLDER[/bold] with your own .fit files.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
out = Console()
err = Console(stderr=True)


@dataclass(frozen=True)
class AppState:
    """Global options, resolved once before any command runs."""

    locations: Locations


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one error line and exit with `code`."""
    err.print(f"[bold red]error:[/bold red] {message}", highlight=False)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        out.print(f"terskel {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option("--db", envvar="TERSKEL_DB", help="Store file to use (overrides config)."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar="TERSKEL_CONFIG", help="Config file to read."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """Global options; they go before the command: `terskel --db x.duckdb import ...`."""
    ctx.obj = AppState(resolve_locations(config, db))


def _settings(ctx: typer.Context) -> Settings:
    try:
        return load_settings(ctx.ensure_object(AppState).locations)
    except ConfigError as exc:
        fail(str(exc))


@contextmanager
def _open_store(ctx: typer.Context, read_only: bool = False) -> Iterator[tuple[Store, Settings]]:
    """Open the configured store; config and store errors become one line and exit 2."""
    settings = _settings(ctx)
    path = db_path(ctx.ensure_object(AppState).locations, settings)
    try:
        store = Store.open(path, settings.athlete.id, read_only=read_only)
    except StoreError as exc:
        fail(str(exc))
    with store:
        yield store, settings


@app.command()
def init(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option(help="Overwrite an existing config file.")] = False,
) -> None:
    """Write a commented config file and create the store."""
    locations = ctx.ensure_object(AppState).locations
    if locations.config.exists() and force:
        locations.config.unlink()
    if locations.config.exists():
        out.print(f"config: {locations.config} (exists, kept; --force to overwrite)")
    else:
        write_example_config(locations.config)
        out.print(f"config: {locations.config} (written; edit it to set your time zone)")
    with _open_store(ctx) as (store, _):
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
) -> None:
    """Import FIT files; files already imported are recognised and skipped."""
    try:
        check_paths(paths)
    except InputError as exc:
        fail(str(exc))
    with _open_store(ctx) as (store, settings):
        summary = _import_with_progress(store, paths, settings, workers)
    _print_import_summary(summary)
    raise typer.Exit(EXIT_PARTIAL if summary.failed else EXIT_OK)


def _import_with_progress(
    store: Store, paths: list[Path], settings: Settings, workers: int | None
) -> ImportSummary:
    total = count_inputs(paths)
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("import", total=total)
        return import_paths(
            store,
            paths,
            fallback_tz=settings.athlete.timezone,
            workers=workers,
            total=total,
            on_file=lambda _label: progress.advance(task),
        )


def _print_import_summary(summary: ImportSummary) -> None:
    for label, reason in summary.failed:
        err.print(f"[red]failed[/red]  {label}: {reason}", highlight=False)
    for label, reason in summary.skipped:
        err.print(f"[yellow]skipped[/yellow] {label}: {reason}", highlight=False)
    for label, warning in summary.warnings:
        err.print(f"[yellow]warning[/yellow] {label}: {warning}", highlight=False)
    linked = f", {summary.linked} linked to activities already stored" if summary.linked else ""
    out.print(
        f"imported {summary.imported}{linked}, already present {summary.present}, "
        f"skipped {len(summary.skipped)}, failed {len(summary.failed)}"
    )


@app.command()
def activities(
    ctx: typer.Context,
    since: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only activities on or after this local date."),
    ] = None,
    sport: Annotated[
        str | None, typer.Option(help="Only this sport (running, cycling, ...).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List the activities in the store, newest first."""
    with _open_store(ctx, read_only=True) as (store, _):
        frame = store.activities(since.date() if since else None, sport)
    if as_json:
        print(json.dumps(activities_json(frame), indent=2))
    else:
        out.print(activities_table(frame, f"{frame.height} activities"))


@app.command()
def demo() -> None:
    """Import the bundled real sample activities into a temporary store and show them."""
    with tempfile.TemporaryDirectory(prefix="terskel-demo-") as folder:
        data = Path(str(resources.files("terskel").joinpath("data", "demo")))
        with Store.open(Path(folder) / "demo.duckdb") as store:
            out.print(f"Importing {count_inputs([data])} real FIT files bundled with terskel ...")
            summary = import_paths(store, [data], workers=1)
            _print_import_summary(summary)
            out.print(activities_table(store.activities(), "The sample activities"))
    out.print(
        "\nNext: [bold]terskel init[/bold], then [bold]terskel import[/bold] your own .fit files "
        "or a Garmin export .zip."
    )


def main() -> Any:
    """Console-script entry point."""
    return app()
