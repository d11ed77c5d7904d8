"""Named SQL queries shipped in this folder: each file documents itself in its header."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

# Header of a query file (every line a SQL comment):
#   -- weekly_volume: running distance and time per ISO week, in local time.
#   -- params: since = 2000-01-01 (first local date to include)
#   -- columns: iso_week, runs, km, hours
#   -- example: terskel query weekly_volume --param since=2026-01-01
_PARAM = re.compile(r"(\w+)\s*=\s*([^\s,(]+)(?:\s*\(([^)]*)\))?")
_USED = re.compile(r"\$(\w+)")


class QueryError(Exception):
    """A named query that does not exist or a parameter that does not fit (one line)."""


@dataclass(frozen=True)
class NamedQuery:
    """A query file: its name, what it answers, parameters with defaults, and the SQL."""

    name: str
    summary: str
    params: dict[str, str]
    param_help: dict[str, str]
    columns: list[str]
    example: str
    sql: str


def parse_query(name: str, text: str) -> NamedQuery:
    """Read a query file's header comments and body."""
    header = {}
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        key, _, value = line.removeprefix("--").strip().partition(":")
        header[key.strip()] = value.strip()
    params = {m[1]: m[2] for m in _PARAM.finditer(header.get("params", ""))}
    param_help = {m[1]: m[3] or "" for m in _PARAM.finditer(header.get("params", ""))}
    columns = [c.strip() for c in header.get("columns", "").split(",") if c.strip()]
    return NamedQuery(
        name=name,
        summary=header.get(name, ""),
        params=params,
        param_help=param_help,
        columns=columns,
        example=header.get("example", ""),
        sql=text,
    )


def all_queries() -> list[NamedQuery]:
    """Every named query shipped with terskel, by name."""
    folder = resources.files("terskel").joinpath("queries")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [parse_query(f.name.removesuffix(".sql"), f.read_text(encoding="utf-8")) for f in files]


def find_query(name: str) -> NamedQuery | None:
    """The named query called `name`, if there is one."""
    return next((q for q in all_queries() if q.name == name), None)


def bind(sql: str, defaults: dict[str, str], given: dict[str, str]) -> dict[str, str]:
    """Parameters the SQL uses: given values over defaults; a missing one is an error."""
    unknown = sorted(set(given) - set(_USED.findall(sql)))
    if unknown:
        raise QueryError(f"unknown parameter {unknown[0]!r} for this query")
    values = {}
    for name in dict.fromkeys(_USED.findall(sql)):
        if name in given:
            values[name] = given[name]
        elif name in defaults:
            values[name] = defaults[name]
        else:
            raise QueryError(f"missing parameter: --param {name}=VALUE")
    return values


def parse_params(pairs: list[str]) -> dict[str, str]:
    """`key=value` strings from --param into a dict."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise QueryError(f"--param {pair!r}: expected key=value")
        out[key.strip()] = value.strip()
    return out
