"""What every command shares: the app, consoles, global options, errors, opening the store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console, RenderableType
from rich.markup import escape
from typer.core import TyperCommand

from terskel import __version__
from terskel.cli import help_text

if TYPE_CHECKING:  # start-up: duckdb and polars load in the commands that use them
    from terskel.config import Locations, Settings
    from terskel.store import Store

# Exit codes (the contract scripts and cron rely on).
EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_AUTH = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it
EXIT_TERMINATED = 143  # SIGTERM (128 + 15), as shells report it
INTERRUPTED = (
    "interrupted: what was saved is kept (each file lands whole or not at all); "
    "run the command again to finish"
)
TERMINATED = f"terminated (SIGTERM); {INTERRUPTED.removeprefix('interrupted: ')}"

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
err = Console(stderr=True, soft_wrap=True)
help_text.install()


@dataclass
class AppState:
    """Global options; resolved when a command first asks (`report --help` runs this
    callback too, and needs no paths)."""

    config: Path | None
    db: Path | None
    lock_wait_s: float | None = None  # None: seconds to read, minutes to write (store's)

    @cached_property
    def locations(self) -> Locations:
        from terskel.config import resolve_locations

        return resolve_locations(self.config, self.db)


class RulesHelp(TyperCommand):
    """A command whose --help ends with the session-type rules, loaded (with polars) only
    when that help is shown; give it a short_help for the command list."""

    @property
    def help(self) -> str:
        from terskel.analysis.sessions import RULES

        return "\n\n".join([self._intro, *(f"- {rule}" for rule in RULES)])

    @help.setter
    def help(self, value: str | None) -> None:
        self._intro = value or ""


GLOBAL_OPTIONS = ("--db", "--config")


def hoist_global_options(args: list[str]) -> list[str]:
    """Move `--db X` / `--config X` typed after the command to the front, where they belong."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if rest and arg in GLOBAL_OPTIONS and i + 1 < len(args):
            front += [arg, args[i + 1]]
            i += 2
            continue
        if rest and arg.split("=", 1)[0] in GLOBAL_OPTIONS and "=" in arg:
            front.append(arg)
        elif not rest and (arg in GLOBAL_OPTIONS and i + 1 < len(args)):
            front += [arg, args[i + 1]]
            i += 2
            continue
        elif not rest and arg.startswith("-"):
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def term_width(ctx: typer.Context) -> int:
    """Columns to lay tables out for: the context's terminal width, COLUMNS, the terminal."""
    if ctx.find_root().terminal_width:
        return int(ctx.find_root().terminal_width or 0)
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else out.width


def print_at(renderable: RenderableType, width: int) -> None:
    """Print laid out for `width` columns (the shared console keeps its own width)."""
    Console(width=width).print(renderable)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one error line and exit with `code`."""
    err.print(f"[bold red]error:[/bold red] {escape(message)}", highlight=False)
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
    lock_wait: Annotated[
        float | None,
        typer.Option(
            "--lock-wait",
            envvar="TERSKEL_LOCK_WAIT",
            min=0,
            help="Seconds to wait while another terskel process writes the store "
            "(default: 180 for commands that write, 15 for ones that read).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """Global options; they go before the command: `terskel --db x.duckdb import ...`."""
    ctx.obj = AppState(config, db, lock_wait)


def settings_of(ctx: typer.Context) -> Settings:
    from terskel.config import ConfigError, load_settings

    try:
        return load_settings(ctx.ensure_object(AppState).locations)
    except ConfigError as exc:
        fail(str(exc))


def _waiting(line: str) -> None:
    """Say once that this command waits for another process to let go of the store."""
    err.print(escape(line), highlight=False)


@contextmanager
def open_store(ctx: typer.Context, read_only: bool = False) -> Iterator[tuple[Store, Settings]]:
    """Open the configured store; config and store errors become one line and exit 2.

    A writer stops cleanly on SIGTERM (exit 143), and one that lands while a new store is
    made or an old one migrated waits for that to end: cut part-way, it left a store at an
    early schema that every reading command refused (`import` and `sync` handle SIGTERM
    themselves, from before the store opens)."""
    import signal

    from terskel.config import db_path
    from terskel.jobs.interrupts import sigterm_as_interrupt, sigterm_held
    from terskel.store import Store, StoreError, StoreLocked
    from terskel.store.opening import read_errors

    settings = settings_of(ctx)
    state = ctx.ensure_object(AppState)
    path = db_path(state.locations, settings)
    with ExitStack() as stack:
        if not read_only and not callable(signal.getsignal(signal.SIGTERM)):
            stack.enter_context(terminated_exits())
            stack.enter_context(sigterm_as_interrupt())
        try:
            store = Store.open(
                path, settings.athlete.id, read_only, state.lock_wait_s, _waiting, sigterm_held
            )
        except StoreLocked as exc:
            fail(str(exc), EXIT_PARTIAL)  # temporary: the next run will get in
        except StoreError as exc:
            fail(str(exc))
        with store:
            try:
                with read_errors(path):
                    yield store, settings
            except StoreError as exc:  # the file broke while being read (a damaged block)
                fail(str(exc))


@contextmanager
def terminated_exits() -> Iterator[None]:
    """A SIGTERM's `Terminated` ends the command in one line, exit 143 (typer would take
    it for a Ctrl-C: 130, silent); the one place every command's SIGTERM ends."""
    from terskel.jobs.interrupts import Terminated

    try:
        yield
    except Terminated:
        err.print(TERMINATED, highlight=False)
        raise typer.Exit(EXIT_TERMINATED) from None


class _NoProgress:
    """Stands in for rich's Progress when stderr is no terminal (cron, a pipe): nothing is
    drawn, and rich.progress (~0.05 s of imports) is never loaded."""

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, *_args: Any, **_kwargs: Any) -> int:
        return 0

    def advance(self, *_args: Any, **_kwargs: Any) -> None:
        return None

    def update(self, *_args: Any, **_kwargs: Any) -> None:
        return None


def progress_bar(label: str, eta: bool = False) -> Any:
    """A transient `label [bar] n/N` on stderr when it is a terminal; a silent stand-in
    with the same add_task/advance/update otherwise."""
    if not err.is_terminal:
        return _NoProgress()
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    columns: list[ProgressColumn] = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
    if eta:
        columns.append(TimeRemainingColumn())
    return Progress(*columns, console=err, transient=True)
