"""User SQL (`terskel query`), run read-only in the sandbox of store/sandbox.py."""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl

from terskel.store.core import StoreCore
from terskel.store.errors import StoreError
from terskel.store.rows import frame_of
from terskel.store.sandbox import QueryRefused, refusal_of, run_user_sql


class UserQueries(StoreCore):
    """Store part that runs the user's SQL."""

    def query(self, sql: str, params: dict[str, Any]) -> pl.DataFrame:
        """Run user SQL (one SELECT, named parameters as $name) in the sandbox; from the
        first call on, this connection reaches no file outside the store (store/sandbox.py)."""
        try:
            return frame_of(run_user_sql(self.con, sql, params))  # no pyarrow (store/rows.py)
        except QueryRefused as exc:
            raise StoreError(str(exc)) from exc
        except duckdb.Error as exc:
            refused = refusal_of(exc)
            raise StoreError(str(refused or f"query failed: {_first_line(exc)}")) from exc
        except pl.exceptions.PolarsError as exc:  # a column type polars cannot hold
            raise StoreError(
                f"query result has a column type terskel cannot show ({_first_line(exc)}); "
                "CAST it to VARCHAR"
            ) from exc


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's message."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
