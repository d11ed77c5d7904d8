"""Where `terskel export --parquet` may write: a new or empty folder, or an earlier export.

The rule: the target is a folder. A missing one is created; an empty one is used; one
that holds only an earlier export (a subfolder per table) has those table folders
replaced whole, so no stale partition survives. Anything else is refused in one line,
so pointing the export at a file or at a folder of other things never overwrites them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from terskel.store.errors import StoreError


def prepare_folder(folder: Path, tables: Iterable[str]) -> None:
    """Make `folder` ready for a fresh export of `tables`; StoreError when it is not ours."""
    names = set(tables)
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"{folder}: exists and is not a folder; export --parquet needs a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        entries = list(folder.iterdir())
        others = sorted(e.name for e in entries if e.name not in names or not e.is_dir())
        if others:
            raise StoreError(
                f"{folder}: holds other files ({', '.join(others[:3])}); "
                "export into a new or empty folder, or into an earlier export"
            )
        for entry in entries:
            shutil.rmtree(entry)
    except OSError as exc:
        raise StoreError(f"{folder}: cannot write the export here ({exc.strerror})") from exc
