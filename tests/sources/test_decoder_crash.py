"""A Rust panic in fitfast stays inside one file: SDK fallback, else that file fails alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import fitfast
import polars as pl
import pytest

from terskel.jobs.ingest import import_paths
from terskel.sources.fit import FitError, decode, is_decoder_panic
from terskel.store import Store
from tests.conftest import DEMO_DATA, TEST_DATA


def _panics(data: bytes) -> bool:
    """True when fitfast panics (pyo3 PanicException, a BaseException) on `data`."""
    try:
        fitfast.parse(data, enum_names=True, datetimes=True)
        fitfast.records(data)
    except fitfast.FitDecodeError:
        return False
    except BaseException as exc:
        if not is_decoder_panic(exc):
            raise
        return True
    return False


def _zeroed(path: Path, offset: int) -> bytes:
    """A real file with 512 bytes zeroed at `offset`, as a damaged disk block leaves it."""
    data = path.read_bytes()
    return data[:offset] + bytes(512) + data[offset + 512 :]


@pytest.fixture(scope="module")
def salvageable() -> bytes:
    """fitfast panics ("remainder with a divisor of zero"); the SDK reads most of the run."""
    mutant = _zeroed(DEMO_DATA / "workoutizer__run_with_coordinates.fit", 42459)
    assert _panics(mutant)
    return mutant


@pytest.fixture(scope="module")
def hopeless() -> bytes:
    """fitfast panics and the SDK cannot read it either."""
    mutant = _zeroed(TEST_DATA / "fitparse_rs__ZeroHeaderCrc.fit", 310)
    assert _panics(mutant)
    return mutant


def test_a_panic_falls_back_to_the_sdk(
    salvageable: bytes, capfd: pytest.CaptureFixture[str]
) -> None:
    fit = decode(salvageable)
    assert fit.decoder == "garmin-fit-sdk"
    assert fit.warnings[0].startswith("damaged file (decoder crash: attempt to calculate")
    (session,) = fit.sessions
    assert session.start_utc == dt.datetime(2020, 12, 10, 6, 27, 5)
    assert session.samples.height == 1189
    assert "panicked" not in capfd.readouterr().err  # Rust's own message is not shown


def test_a_panic_the_sdk_cannot_read_either_is_a_one_line_failure(hopeless: bytes) -> None:
    with pytest.raises(FitError, match=r"^unreadable FIT data \(FIT Runtime Error") as caught:
        decode(hopeless)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("workers", [1, 2])
def test_panicking_files_do_not_stop_the_batch(
    salvageable: bytes, hopeless: bytes, tmp_path: Path, workers: int
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    good = ["heartandsole__3981100861.fit", "tormoder__0137001239.fit"]
    for name in good:
        (folder / name).write_bytes((DEMO_DATA / name).read_bytes())
    (folder / "salvaged.fit").write_bytes(salvageable)
    (folder / "hopeless1.fit").write_bytes(hopeless)
    (folder / "hopeless2.fit").write_bytes(hopeless + b"\0")  # other bytes, same fate
    with Store.open(tmp_path / "s.duckdb") as store:
        summary = import_paths(store, [folder], workers=workers)
        assert summary.imported == 3
        failed = {Path(label).name: reason for label, reason in summary.failed}
        assert set(failed) == {"hopeless1.fit", "hopeless2.fit"}
        assert all(r.startswith("unreadable FIT data") and "\n" not in r for r in failed.values())
        warned = {Path(label).name for label, w in summary.warnings if "decoder crash" in w}
        assert warned == {"salvaged.fit"}
        assert store.activities().height == 3
        log = store.import_log().filter(pl.col("status") == "failed")
        assert sorted(Path(p).name for p in log["path"]) == ["hopeless1.fit", "hopeless2.fit"]
