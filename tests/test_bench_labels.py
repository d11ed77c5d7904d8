"""bench/labels/: the label files parse, point at real laps and cover each other."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from terskel.sources.fit import decode
from tests.conftest import ROOT, SHARED, shared_path

LABELS = ROOT / "bench" / "labels"
TYPES = {"easy", "long", "tempo", "race", "threshold", "vo2", "x_element"}


def _sessions(name: str) -> list[dict[str, Any]]:
    return list(tomllib.loads((LABELS / name).read_text())["session"])


def _flat(work_laps: list[Any]) -> list[int]:
    return [i for w in work_laps for i in (w if isinstance(w, list) else [w])]


def test_every_running_more_file_has_one_label_with_an_athlete() -> None:
    folder = shared_path("fit/running-more")
    sessions = _sessions("intervals-more.toml")
    files = {f"fit/running-more/{p.name}" for p in folder.glob("*.fit")}
    assert sorted(s["file"] for s in sessions) == sorted(files)
    assert all(s["athlete"] == s["file"].split("/")[-1].split("__")[0] for s in sessions)
    intervals = [s for s in sessions if s["label"] != "continuous"]
    assert len(intervals) == 23
    assert all(s.get("source") for s in intervals)
    assert all(s["work_laps"] == [] for s in sessions if s["label"] == "continuous")


@pytest.mark.parametrize(
    "session",
    [s for s in _sessions("intervals-more.toml") if s["label"] != "continuous"],
    ids=lambda s: s["file"].split("/")[-1],
)
def test_work_laps_are_laps_of_the_file_in_order(session: dict[str, Any]) -> None:
    fit = decode(shared_path(session["file"]).read_bytes())
    n_laps = fit.sessions[0].laps.height
    idx = _flat(session["work_laps"])
    assert idx == sorted(set(idx))
    assert idx[-1] < n_laps


def test_old_labels_have_an_athlete_each() -> None:
    old = tomllib.loads(shared_path("labels/intervals.toml").read_text())["session"]
    athletes = tomllib.loads((LABELS / "athletes.toml").read_text())["athletes"]
    assert {s["file"] for s in old} == set(athletes)
    assert athletes["history/coros-road-runner/476137313624162507.fit"] == "coros-road-runner"
    assert athletes["fit/running/fnardmann__my_activity.fit"] == "fnardmann"


def test_session_types_cover_every_labelled_session() -> None:
    old = tomllib.loads(shared_path("labels/intervals.toml").read_text())["session"]
    labelled = {s["file"] for s in old} | {s["file"] for s in _sessions("intervals-more.toml")}
    types = _sessions("session-types.toml")
    assert sorted(t["file"] for t in types) == sorted(labelled)
    assert {t["type"] for t in types} <= TYPES
    assert all(t["reason"] for t in types)
    assert all((SHARED / t["file"]).exists() for t in types)
