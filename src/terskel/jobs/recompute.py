"""Zones and session types again, from stored structures: after a marker changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from terskel.jobs.analyze import (
    AnalyzeSummary,
    AthleteProfile,
    context,
    peaks_pass,
    type_days,
    zone_chunks,
)
from terskel.store import Store


def rezone(
    store: Store,
    athlete: AthleteProfile,
    *,
    since: dt.date | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> AnalyzeSummary:
    """Best efforts, time in zone and session types of every analysed run; structure kept.

    Reads each chunk's samples and its stored segments (no detection), then
    re-types every local date it touched, and last the dates of activities
    without samples.
    """
    summary = AnalyzeSummary()
    ctx = context(store, athlete)
    analysed = store.structures()["activity_id"].to_list()
    local = store.local_dates(analysed) if analysed else pl.DataFrame()
    if since is not None and local.height:
        local = local.filter(pl.col("local_date") >= since)
    ids = local["activity_id"].to_list() if local.height else []
    done = peaks_pass(store, ids, summary)  # every best effort first: markers may look ahead
    dates = set(zone_chunks(store, ctx, done, summary, len(ids), on_chunk))
    summary.typed = type_days(store, ctx, sorted(dates | set(store.dates_to_type(since, True))))
    return summary
