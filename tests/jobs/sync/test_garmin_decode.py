"""A Garmin download that makes the FIT decoder panic fails alone; the sync goes on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from terskel.config import GARMIN_TOKEN_DIR, Settings
from terskel.jobs.sync import SyncOptions
from terskel.jobs.sync import garmin as connector
from terskel.store import Store
from tests.conftest import TEST_DATA
from tests.garmin_fake import FakeGarmin, demo_run, serve, zip_of


@pytest.fixture
def fake_garmin(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGarmin]:
    with serve(monkeypatch) as fake:
        yield fake


def test_a_download_that_panics_the_decoder_fails_alone(
    fake_garmin: FakeGarmin, store: Store, tmp_path: Path
) -> None:
    for index in range(2):
        fake_garmin.add_fit(demo_run(index))
    fake_garmin.token_file(tmp_path / GARMIN_TOKEN_DIR)
    data = (TEST_DATA / "fitparse_rs__ZeroHeaderCrc.fit").read_bytes()
    crash = fake_garmin.activities[0]
    # a zeroed 512-byte block: fitfast panics, the SDK cannot read it either
    crash.download = zip_of(
        f"{crash.activity_id}_ACTIVITY.fit", data[:310] + bytes(512) + data[822:]
    )
    options = SyncOptions(full=False, secrets_dir=tmp_path)
    report = connector.sync(store, Settings(), options, lambda _label: None)
    assert report.new == 1
    ((label, reason),) = report.failed
    assert label == f"garmin:{crash.activity_id}"
    assert reason.startswith("unreadable FIT data") and "\n" not in reason
