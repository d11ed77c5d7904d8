"""User SQL (`terskel query`) runs in a sandbox: one read statement, no files, locked settings.

Two layers, so that one slip does not open the store:
1. DuckDB's own parser splits the text; exactly one statement of type SELECT may run
   (DESCRIBE, SHOW, SUMMARIZE, FROM-first and VALUES parse as SELECT too). COPY, ATTACH,
   EXPORT, INSTALL/LOAD, SET, PRAGMA, CALL, EXPLAIN (EXPLAIN ANALYZE runs its statement)
   and every write are refused before anything runs.
2. The connection is read-only and, before the statement runs, loses external access
   (no file, directory, URL or extension outside the open store: read_text, glob,
   read_csv, COPY, ATTACH all raise) and then its configuration is locked, so the SQL
   cannot turn either back on. Both are one-way for the life of the connection.
"""

from __future__ import annotations

from typing import Any

import duckdb

# The statement types user SQL may be (DuckDB's parser reports DESCRIBE/SHOW as SELECT).
ALLOWED = frozenset({duckdb.StatementType.SELECT})

# Applied in this order; lock_configuration last, so nothing after it can change a setting.
_LOCKDOWN = (
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET lock_configuration = true",
)


class QueryRefused(Exception):
    """User SQL that the sandbox does not run; the message is one line for the user."""


def check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but exactly one SELECT/WITH/DESCRIBE/SHOW statement (parsed on the
    store's connection: `duckdb.extract_statements` opens the default in-memory database
    first, ~0.03 s of a `terskel query`)."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"query failed: {_first_line(exc)}") from exc
    if not statements:
        raise QueryRefused("query refused: no SQL statement given")
    if len(statements) > 1:
        raise QueryRefused(
            f"query refused: one statement only, found {len(statements)} "
            "(separated by ';'); queries are read-only"
        )
    kind = statements[0].type
    if kind not in ALLOWED:
        raise QueryRefused(
            f"query refused: {kind.name} statements do not run here; queries are read-only "
            "(SELECT, WITH, DESCRIBE and SHOW only)"
        )


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """Cut the connection off from files, extensions and setting changes (for good)."""
    if _locked(con):
        return
    for statement in _LOCKDOWN:
        con.execute(statement)


def run_user_sql(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
) -> duckdb.DuckDBPyRelation:
    """Check the SQL, lock the connection down, then run it (named parameters as $name)."""
    check_statement(con, sql)
    lock_down(con)
    try:
        return con.sql(sql, params=params)
    except duckdb.PermissionException as exc:
        raise QueryRefused(_outside(exc)) from exc


def refusal_of(exc: duckdb.Error) -> QueryRefused | None:
    """A sandbox refusal for an error raised while a result is fetched, if it is one."""
    if isinstance(exc, duckdb.PermissionException):
        return QueryRefused(_outside(exc))
    return None


def _outside(exc: duckdb.Error) -> str:
    return f"query refused: it reaches outside the store ({_first_line(exc)})"


def _locked(con: duckdb.DuckDBPyConnection) -> bool:
    rows = con.execute(
        "SELECT current_setting('enable_external_access'), current_setting('lock_configuration')"
    ).fetchall()
    external, locked = rows[0]
    return not external and bool(locked)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
