"""The watch's own HR settings of imported files, kept as dated markers (source `device`).

Two files of a day can disagree (one run recorded by two watches: an FR735XT set to
max HR 200, a Fenix 3 to 196), and which file is imported first, or finishes decoding
first, must not decide. A day keeps, per marker, the highest value its files had set
(on a tie the greater note): a rule of the values alone, so a stored row compares with a
new file's the same way and any order of imports, in one batch or over many nights,
leaves the same rows. Which of two settings is right no file says; the highest keeps a
file's threshold below its max HR, so the day's threshold stays below the day's max, and
a threshold the runs never reached is dropped where it is read (analysis/athlete.py).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from terskel.sources.model import Upload

SOURCE = "device"


def device_rows(uploads: list[Upload]) -> list[dict[str, Any]]:
    """One row per marker a file's watch had set, dated by the run's local date."""
    rows = []
    for upload in uploads:
        session = upload.session
        day = (session.start_utc + dt.timedelta(seconds=session.utc_offset_s)).date()
        note = f"set on the watch ({upload.device or 'device'}), file of {day}"
        for marker, value in upload.device_markers.items():
            rows.append(dict(source=SOURCE, marker=marker, value=value, effective_from=day,
                             note=note))  # fmt: skip
    return rows


def highest(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per marker and day, the row with the greatest (value, note)."""
    best: dict[tuple[Any, Any], dict[str, Any]] = {}
    for row in rows:
        key = (row["marker"], row["effective_from"])
        held = best.get(key)
        if held is None or rank(row) > rank(held):
            best[key] = row
    return list(best.values())


def rank(row: dict[str, Any]) -> tuple[float, str]:
    """Order of preference between two rows of a marker and day (the greatest is kept)."""
    return float(row["value"]), row["note"] or ""
