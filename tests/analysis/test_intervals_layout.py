"""The interval package stays readable: every module under 400 lines (issue 11)."""

from __future__ import annotations

from pathlib import Path

import terskel.analysis.intervals as intervals

MAX_LINES = 400


def test_every_interval_module_is_under_400_lines() -> None:
    folder = Path(intervals.__file__).parent
    sizes = {p.name: len(p.read_text().splitlines()) for p in folder.glob("*.py")}
    assert {"segmentation.py", "structure.py", "labels.py", "laps.py"} <= sizes.keys()
    assert {name: n for name, n in sizes.items() if n >= MAX_LINES} == {}
