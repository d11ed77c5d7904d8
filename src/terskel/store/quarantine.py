"""Quarantined activities: decoded, implausible, kept out of everything else."""

from __future__ import annotations

import polars as pl

from terskel.sources.model import Upload
from terskel.store import Store
from terskel.store.rows import ArrowStream

QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "source_id": pl.String(),
    "path": pl.String(),
    "file_sha256": pl.String(),
    "sport": pl.String(),
    "start_utc": pl.Datetime("us"),
    "elapsed_s": pl.Float64(),
    "distance_m": pl.Float64(),
    "reason": pl.String(),
    "content": pl.Binary(),
}


def quarantine(store: Store, held: list[tuple[Upload, str]]) -> None:
    """Keep `held` uploads (with why) apart from activities, and log each one; one transaction."""
    if not held:
        return
    rows = [
        {
            "source": upload.source,
            "source_id": upload.source_id,
            "path": upload.path,
            "file_sha256": upload.file_sha256,
            "sport": upload.session.sport,
            "start_utc": upload.session.start_utc,
            "elapsed_s": upload.session.elapsed_s,
            "distance_m": upload.session.distance_m,
            "reason": reason,
            "content": upload.content,
        }
        for upload, reason in held
    ]
    frame = pl.DataFrame(rows, schema=QUARANTINE_SCHEMA).unique(
        ["source", "source_id"], keep="last"
    )
    frame = frame.with_columns(athlete_id=pl.lit(store.athlete_id))
    log = frame.select(
        "athlete_id",
        path=pl.col("path").fill_null(pl.col("source") + ":" + pl.col("source_id")),
        sha256="file_sha256",
        status=pl.lit("quarantined"),
        message="reason",
    )
    columns = ", ".join(frame.columns)
    with store.transaction():
        store.con.register("held", ArrowStream(frame))
        store.con.register("held_log", ArrowStream(log))
        try:
            store.con.execute(
                f"INSERT OR REPLACE INTO quarantine ({columns}) SELECT {columns} FROM held"
            )
            store.con.execute(
                "INSERT INTO import_log (athlete_id, path, sha256, status, message) "
                "SELECT athlete_id, path, sha256, status, message FROM held_log"
            )
        finally:
            store.con.unregister("held")
            store.con.unregister("held_log")


def quarantined(store: Store) -> pl.DataFrame:
    """Quarantined activities, newest decision first (without their bytes)."""
    frame: pl.DataFrame = store.con.sql(
        "SELECT source, source_id, path, sport, start_utc, elapsed_s, distance_m, reason, "
        "quarantined_at FROM quarantine WHERE athlete_id = $athlete "
        "ORDER BY quarantined_at DESC, path",
        params={"athlete": store.athlete_id},
    ).pl()
    return frame
