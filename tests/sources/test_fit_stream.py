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


def _definition(local: int, global_num: int, fields: list[tuple[int, int, int]]) -> bytes:
    """A definition message (little endian): header, reserved, architecture, number, fields."""
    body = bytes([0x40 | local, 0, 0]) + global_num.to_bytes(2, "little") + bytes([len(fields)])
    return body + b"".join(bytes(field) for field in fields)


def _fit(body: bytes) -> bytes:
    header = bytes([14, 0x20]) + (2132).to_bytes(2, "little") + len(body).to_bytes(4, "little")
    header += b".FIT"
    header += crc16(header).to_bytes(2, "little")
    return header + body + crc16(header + body).to_bytes(2, "little")


def test_a_local_type_redefined_and_compressed_timestamp_headers() -> None:
    # local 0: records (dropped), then redefined as a lap (kept); local 1: a lap (kept).
    # Records come with normal headers (0x00) and compressed-timestamp ones (0x80 | offset:
    # local 0 in bits 5-6); a lap data header with the reserved bit 4 set is local 0 too.
    record = _definition(0, 20, [(253, 4, 0x86), (3, 1, 0x02)])  # timestamp, heart_rate
    lap = _definition(1, 19, [(254, 2, 0x84)])  # message_index
    lap_on_0 = _definition(0, 19, [(254, 2, 0x84)])
    records = bytes([0x00]) + bytes(5) + bytes([0x00]) + bytes(5) + bytes([0x85]) + bytes(5)
    lap_data = bytes([0x01, 7, 0])
    laps_on_0 = bytes([0x00, 8, 0, 0x10, 9, 0])
    body = record + records + lap + lap_data + bytes([0x9F]) + bytes(5) + lap_on_0 + laps_on_0
    cut = without_records(_fit(body))
    assert cut is not None
    assert cut.data == _fit(record + lap + lap_data + lap_on_0 + laps_on_0)
    assert without_records(_fit(record + bytes([0xA0]) + bytes(5))) is None  # local 1: undefined
