"""An analysis stopped between its stages finishes on the next run, as if never stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from terskel.jobs import analyze as analyze_module
from terskel.jobs.analyze import analyze
from terskel.store import Store
from tests.faults.conftest import imported_demo
from tests.faults.snapshot import analysed, differences, snapshot


class Killed(BaseException):
    """Stands in for kill -9 between two commits (nothing after it runs)."""


def _stop(*_args: Any, **_kwargs: Any) -> Any:
    raise Killed


@pytest.mark.parametrize("stage", ["zones", "type_days"])
def test_analysis_stopped_after_a_stage_finishes_on_the_next_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    demo_reference: dict[str, list[tuple[Any, ...]]],
    stage: str,
) -> None:
    db = imported_demo(tmp_path)
    with Store.open(db) as store, monkeypatch.context() as patch:
        patch.setattr(analyze_module, stage, _stop)
        with pytest.raises(Killed):
            analyze(store)
    counts = analysed(db)
    assert counts["structures"] == 5 and counts["sessions"] == 0
    assert (counts["activity_peaks"] == 0) == (stage == "zones")
    with Store.open(db) as store:
        again = analyze(store)
        assert again.activities == (5 if stage == "zones" else 0)
        assert again.typed == 5  # every run typed (issue 12: they stayed untyped forever)
        assert analyze(store).activities == 0  # and nothing is left to do
    assert differences(snapshot(db), demo_reference) == []
