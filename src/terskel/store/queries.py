"""User SQL (`terskel query`), run read-only in the sandbox of store/sandbox.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from terskel.store.core import StoreCore
from terskel.store.errors import StoreError
from terskel.store.rows import Rows, frame_of, plain_rows
from terskel.store.sandbox import QueryRefused, refusal_of, run_user_sql

if TYPE_CHECKING:
    import polars as pl

Result = TypeVar("Result")


class UserQueries(StoreCore):
    """Store part that runs the user's SQL."""

    def query(self, sql: str, params: dict[str, Any]) -> pl.DataFrame:
        """Run user SQL (one SELECT, named parameters as $name) in the sandbox; from the
        first call on, this connection reaches no file outside the store (store/sandbox.py)."""
        return self._user_sql(sql, params, _frame)

    def query_rows(self, sql: str, params: dict[str, Any]) -> Rows | pl.DataFrame:
        """The same, as DuckDB's rows when the result is small and of plain types (no
        polars: store/rows.py), else as the frame `query` gives."""
        return self._user_sql(sql, params, _rows_or_frame)

    def _user_sql(
        self, sql: str, params: dict[str, Any], read: Callable[[duckdb.DuckDBPyRelation], Result]
    ) -> Result:
        try:
            return read(run_user_sql(self.con, sql, params))
        except QueryRefused as exc:
            raise StoreError(str(exc)) from exc
        except duckdb.Error as exc:
            refused = refusal_of(exc)
            raise StoreError(str(refused or f"query failed: {_first_line(exc)}")) from exc


def _frame(relation: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    import polars as pl

    try:
        return frame_of(relation)  # no pyarrow (store/rows.py)
    except pl.exceptions.PolarsError as exc:  # a column type polars cannot hold
        raise StoreError(
            f"query result has a column type terskel cannot show ({_first_line(exc)}); "
            "CAST it to VARCHAR"
        ) from exc


def _rows_or_frame(relation: duckdb.DuckDBPyRelation) -> Rows | pl.DataFrame:
    rows = plain_rows(relation)
    return _frame(relation) if rows is None else rows


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's message."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
