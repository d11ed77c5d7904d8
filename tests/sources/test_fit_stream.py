"""The cut-down FIT file parses to exactly the messages terskel reads as dicts."""

from __future__ import annotations

from pathlib import Path

import fitfast
import pytest

from terskel.sources.fit_stream import KEEP, crc16, without_records
from tests.conftest import DEMO_DATA, SHARED, TEST_DATA

KEPT_NAMES = {"file_id", "sport", "session", "lap", "activity", "monitoring", "hr"}
KEPT_NAMES |= {"field_description", "developer_data_id"}
KEPT_NAMES |= {"user_profile", "zones_target", "time_in_zone"}  # the watch's HR settings


LOCAL = [*sorted(DEMO_DATA.glob("*.fit")), TEST_DATA / "fitparse__sample_mulitple_header.fit"]


def _shared() -> list[Path]:
    return sorted(SHARED.rglob("*.fit")) if SHARED.exists() else []


def _readable(path: Path) -> dict[str, list[dict[object, object]]] | None:
    try:
        return fitfast.parse(path.read_bytes(), enum_names=True, datetimes=True)
    except fitfast.FitDecodeError:
        return None


def test_crc_matches_a_real_file() -> None:
    data = (DEMO_DATA / "tormoder__0137001239.fit").read_bytes()
    assert crc16(data[:-2]) == int.from_bytes(data[-2:], "little")


@pytest.mark.parametrize("path", LOCAL, ids=lambda p: p.name)
def test_kept_messages_are_identical(path: Path) -> None:
    _assert_identical(path)


@pytest.mark.slow
@pytest.mark.parametrize("path", _shared(), ids=lambda p: p.name)
def test_kept_messages_are_identical_in_every_shared_file(path: Path) -> None:
    _assert_identical(path)


def _assert_identical(path: Path) -> None:
    full = _readable(path)
    if full is None:
        pytest.skip("fitfast refuses the whole file (the SDK salvages it)")
    reduced = without_records(path.read_bytes())
    assert reduced is not None
    assert len(reduced.data) < path.stat().st_size
    cut = fitfast.parse(reduced.data, enum_names=True, datetimes=True)
    assert "record" not in cut
    assert cut == {k: v for k, v in full.items() if k in KEPT_NAMES}
    assert len(KEEP) == len(KEPT_NAMES)


def test_compressed_speed_distance_is_noticed() -> None:
    old = without_records((TEST_DATA / "fitparse__compressed-speed-distance.fit").read_bytes())
    new = without_records((DEMO_DATA / "tormoder__0137001239.fit").read_bytes())
    assert old is not None and old.compressed_speed_distance
    assert new is not None and not new.compressed_speed_distance


def test_what_it_cannot_walk_is_none() -> None:
    assert without_records(b"") is None
    assert without_records(b"<html>not a FIT file at all</html>") is None
    data = (DEMO_DATA / "tormoder__0137001239.fit").read_bytes()
    assert without_records(data[: len(data) // 2]) is None  # truncated
    assert without_records(data[:14] + bytes([0x05]) + data[15:]) is None  # undefined local type
