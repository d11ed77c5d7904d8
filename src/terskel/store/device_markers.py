"""The watch's own HR settings of imported files, kept as dated markers (source `device`)."""

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
