"""`terskel query`, `terskel status` and `terskel export`: reading the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from terskel.cli.common import app, err, fail, open_store, out
from terskel.queries import QueryError, all_queries, bind, find_query, parse_params

if TYPE_CHECKING:  # loaded where a table is drawn (`query --format csv` draws none)
    from rich.table import Table


@app.command()
def query(
    ctx: typer.Context,
    name_or_sql: Annotated[
        str | None, typer.Argument(help="A named query (see --list) or SQL in quotes.")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(metavar="KEY=VALUE", help="A query parameter; repeatable."),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help="table, csv, json or parquet (parquet goes to --out, else to NAME.parquet).",
        ),
    ] = "table",
    out_file: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="Write to this file.")
    ] = None,
    list_queries: Annotated[bool, typer.Option("--list", help="List the named queries.")] = False,
) -> None:
    """Run a named query or your own SQL on the store, read-only (it can never change data).

    Named queries live in queries/; each starts with a comment saying what it answers,
    its parameters and an example. In your own SQL use the views v_activities (and the
    tables activities, samples, laps ...); $athlete is your athlete id.

    Your SQL runs sandboxed: one SELECT, WITH, DESCRIBE or SHOW statement, no files
    outside the store (COPY, ATTACH, read_csv, glob ... are refused), no SET or PRAGMA.
    """
    if list_queries or not name_or_sql:
        out.print(_query_list())
        return
    from terskel.reports.frames import FORMATS, frame_bytes, frame_table
    from terskel.store import StoreError

    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")
    named = find_query(name_or_sql)
    if named is None and name_or_sql.isidentifier():
        fail(f"no named query {name_or_sql!r} (see `terskel query --list`)")
    if fmt == "parquet" and out_file is None:  # binary: never to the terminal
        out_file = Path(f"{named.name if named else 'query'}.parquet")
    sql = named.sql if named else name_or_sql
    with open_store(ctx, read_only=True) as (store, settings):
        try:
            defaults = {"athlete": settings.athlete.id, **(named.params if named else {})}
            values = bind(sql, defaults, parse_params(param or []))
            # rows printed as they come, no polars (store/rows.py); parquet needs the frame
            read = store.query if fmt == "parquet" else store.query_rows
            frame = read(sql, values)
        except (QueryError, StoreError) as exc:
            fail(str(exc))
    if fmt == "table" and out_file is None:
        out.print(frame_table(frame) if frame.height else f"no rows ({', '.join(frame.columns)})")
        return
    data = frame_bytes(frame, "csv" if fmt == "table" else fmt)
    if out_file is None:
        sys.stdout.buffer.write(data)
    else:
        try:
            out_file.write_bytes(data)
        except OSError as exc:
            fail(f"{out_file}: cannot write ({exc.strerror})")
        err.print(f"wrote {frame.height} rows to {out_file}", highlight=False)


def _query_list() -> Table:
    from rich.table import Table

    table = Table(title="Named queries (terskel query NAME)", title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("answers")
    table.add_column("parameters (default)")
    for named in all_queries():
        params = ", ".join(f"{k}={v}" for k, v in named.params.items())
        table.add_row(named.name, named.summary, params)
    return table


@app.command()
def status(ctx: typer.Context) -> None:
    """Show what the store holds and the last sync runs, with what failed."""
    from terskel.reports.frames import frame_table
    from terskel.reports.status import retry_lines, sync_runs_table

    with open_store(ctx, read_only=True) as (store, _):
        counts = store.table_counts()
        runs = store.sync_runs(10)
        failures = store.import_log(200).filter(status="failed").head(10)
        retries = retry_lines(store.queued_items())
    out.print(f"store: {store.path}")
    out.print(", ".join(f"{n} {t}" for t, n in counts.items()))
    out.print(sync_runs_table(runs) if runs.height else "no sync runs yet")
    for line in retries:
        out.print(line, soft_wrap=True, highlight=False, markup=False)
    if failures.height:
        out.print(frame_table(failures.select("logged_at", "path", "message"), "Recent failures"))


@app.command()
def export(
    ctx: typer.Context,
    parquet: Annotated[
        Path,
        typer.Option(
            "--parquet",
            help="Folder to write the tables into: a new or empty one, or an earlier "
            "export (its table folders are replaced).",
        ),
    ],
) -> None:
    """Export the store's tables as Parquet, partitioned by athlete and year."""
    from terskel.store import StoreError

    with open_store(ctx, read_only=True) as (store, _):
        try:
            counts = store.export_parquet(parquet)
        except StoreError as exc:
            fail(str(exc))
    out.print(f"wrote {sum(counts.values())} rows in {len(counts)} tables to {parquet}")
