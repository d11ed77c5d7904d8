"""Garmin connector: fetch new activities and save them through the store."""

from __future__ import annotations

from collections.abc import Callable

from terskel.config import Settings
from terskel.store import Store
from terskel.sync import SourceReport, SourceUnavailable, SyncOptions


def sync(
    store: Store, settings: Settings, options: SyncOptions, progress: Callable[[str], None]
) -> SourceReport:
    """Not built yet."""
    raise SourceUnavailable("this connector is not available yet")
