"""The DuckDB store: the only code that talks to the database.

`Store` is the connection core (store/core.py) and one part per concept, each holding the
SQL of its tables: imports (uploads), activity reads, sync state and log, dated markers,
structures, zones, sessions, lactate, the weekly report's frames, user queries, Parquet
export, invalidation and corrections.
"""

from __future__ import annotations

from terskel.sources.model import Upload
from terskel.store.activities import Activities
from terskel.store.batch import SaveOutcome
from terskel.store.core import StoreCore
from terskel.store.corrections import CorrectionsMixin
from terskel.store.errors import StoreError, StoreLocked
from terskel.store.exporting import ParquetExport
from terskel.store.invalidate import Invalidation
from terskel.store.lactate import LactateReadings
from terskel.store.queries import UserQueries
from terskel.store.report_frames import ReportFrames
from terskel.store.sessions import Sessions
from terskel.store.structures import Structures
from terskel.store.sync_state import SyncState
from terskel.store.thresholds import Thresholds
from terskel.store.uploads import Uploads
from terskel.store.zones import ZoneTime

__all__ = ["SaveOutcome", "Store", "StoreError", "StoreLocked", "Upload"]


class Store(
    Uploads,
    Activities,
    SyncState,
    Thresholds,
    Structures,
    ZoneTime,
    Sessions,
    LactateReadings,
    ReportFrames,
    UserQueries,
    ParquetExport,
    Invalidation,
    CorrectionsMixin,
    StoreCore,
):
    """A terskel DuckDB file, opened for one athlete."""
