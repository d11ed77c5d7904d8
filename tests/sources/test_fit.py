"""FIT decoding checked against the files' own session messages (read by fitparse)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import fitparse
import polars as pl
import pytest

from terskel.sources.fit import FitError, NotAnActivity, decode
from tests.conftest import SHARED, TEST_DATA, shared_path
from tests.sources.fit_layouts import largest_per_layout

# Files from a dozen devices/makers; each one's session message is the truth.
KNOWN_FILES = [
    "fit/running/fnardmann__10024712104_ACTIVITY.fit",  # Forerunner 745, smart recording
    "fit/running/comicmuse__20260129_day_25_-_testing.fit",  # Forerunner 965
    "fit/running/fitparse__activity-small-fenix2-run.fit",  # Fenix 2
    "fit/running/fitdecode__developer-types-sample.fit",  # Stryd
    "fit/running/goldencheetah__Move_2019_03_17_10_24_32_Running.fit",  # Suunto
    "fit/running/heartandsole__3981100861.fit",  # Forerunner 35
    "fit/running/tormoder__0137001239.fit",  # Forerunner 935 treadmill
    "fit/running/workoutizer__with_nones.fit",  # Forerunner 25
    "fit/running/runalyze__FR735XT-with-performance-condition.fit",  # Forerunner 735XT
    "fit/running/runalyze__Fenix-3-with-runscribe-v1-38.fit",  # Fenix 3
    "fit/running/goldencheetah__Fr955v19.28andStryd.fit",  # Forerunner 955 + Stryd
    "fit/running/heartandsole__2019-05-11-144658-UBERDROID6944-216-1.fit",  # Wahoo app
    "fit/other_sports/fitfiler__tomtom-runner3-ride.fit",  # TomTom
    "fit/other_sports/fitdecode__2019-02-17-062644-ELEMNT-297E-195-0.fit",  # Wahoo ELEMNT
    "history/coros-road-runner/475951875183640678.fit",  # COROS PACE 3
]


# fitparse's reading of KNOWN_FILES (fitparse takes ~25 s for them; decode() < 1 s):
# the session's distance and elapsed time, the record count, whether records carry HR;
# null where fitparse cannot read the file. The slow test below reads them afresh.
FITPARSE_TRUTH = TEST_DATA / "fitparse_sessions.json"


def fitparse_truth(path: Path) -> dict[str, object] | None:
    """What fitparse reads of a file's first session and its records (None: it cannot)."""
    try:
        fit = fitparse.FitFile(str(path))
        sessions = [m.get_values() for m in fit.get_messages("session")]
        records = [m.get_values() for m in fit.get_messages("record")]
    except fitparse.FitParseError:
        return None
    return {
        "total_distance": sessions[0]["total_distance"],
        "total_elapsed_time": sessions[0]["total_elapsed_time"],
        "records": len({r.get("timestamp") for r in records}),
        "has_hr": any(r.get("heart_rate") is not None for r in records),
    }


def write_fitparse_truth() -> None:
    """Record fitparse's reading of KNOWN_FILES again (after a file or fitparse changed):
    uv run python -c 'from tests.sources.test_fit import *; write_fitparse_truth()'"""
    truth = {relative: fitparse_truth(SHARED / relative) for relative in KNOWN_FILES}
    FITPARSE_TRUTH.write_text(json.dumps(truth, indent=1) + "\n")


def _recorded_truth() -> dict[str, dict[str, Any] | None]:
    recorded: dict[str, dict[str, Any] | None] = json.loads(FITPARSE_TRUTH.read_text())
    return recorded


def test_fitparse_truth_is_recorded_for_every_known_file() -> None:
    assert list(_recorded_truth()) == KNOWN_FILES


@pytest.mark.parametrize("relative", KNOWN_FILES)
def test_session_matches_the_files_own_summary(relative: str) -> None:
    path = shared_path(relative)
    truth = _recorded_truth()[relative]
    if truth is None:
        # fitparse cannot read COROS files; their session is read by the official SDK
        pytest.skip("fitparse cannot read this file")
    session = decode(path.read_bytes()).sessions[0]
    assert session.distance_m == pytest.approx(truth["total_distance"], abs=0.5)
    assert session.elapsed_s == pytest.approx(truth["total_elapsed_time"], abs=0.01)
    assert session.samples.height == truth["records"]
    assert (session.samples["heart_rate"].null_count() < session.samples.height) == truth["has_hr"]
    if truth["has_hr"]:
        assert session.avg_hr is not None


@pytest.mark.slow
@pytest.mark.parametrize("relative", KNOWN_FILES)
def test_recorded_fitparse_truth_is_what_fitparse_reads(relative: str) -> None:
    """The default run compares decode() with fitparse's recorded reading: it is fitparse's."""
    assert fitparse_truth(shared_path(relative)) == _recorded_truth()[relative]


def test_coros_file_reads_where_fitparse_cannot() -> None:
    path = shared_path("history/coros-road-runner/475951875183640678.fit")
    session = decode(path.read_bytes()).sessions[0]
    assert session.sport == "running"
    assert session.utc_offset_s == 8 * 3600  # the files carry UTC+8
    assert session.samples["heart_rate"].null_count() <= 2  # none only at the ends
    assert session.samples["distance_m"].max() == pytest.approx(session.distance_m, rel=0.01)


def test_multisport_file_splits_into_one_session_per_sport() -> None:
    fit = decode((TEST_DATA / "fitparse__sample_mulitple_header.fit").read_bytes())
    sports = [s.sport for s in fit.sessions]
    assert sports == ["swimming", "transition", "cycling", "transition", "running"]
    run = fit.sessions[-1]
    assert run.distance_m == pytest.approx(9805.92, abs=0.1)
    first, last = run.samples["t"].min(), run.samples["t"].max()
    assert first is not None and last is not None and first >= run.start_utc
    # every record lands in exactly one session
    assert sum(s.samples.height for s in fit.sessions) == 350 + 39 + 855 + 15 + 518


def test_compressed_speed_distance_is_expanded() -> None:
    # Forerunner 70: 3-byte compressed speed/distance, device clock never set
    session = decode((TEST_DATA / "fitparse__compressed-speed-distance.fit").read_bytes()).sessions[
        0
    ]
    distance = session.samples["distance_m"]
    assert distance.max() == pytest.approx(session.distance_m, rel=0.01)
    assert distance.drop_nulls().diff().drop_nulls().min() >= 0  # never runs backwards
    # only local time was real: the run is dated 2012, not 1990
    assert session.start_utc.year == 2012
    assert session.utc_offset_source in ("config", "system")


def test_running_cadence_is_in_steps_per_minute() -> None:
    path = shared_path("fit/running/fnardmann__10024712104_ACTIVITY.fit")
    samples = decode(path.read_bytes()).sessions[0].samples
    moving = samples.filter(pl.col("speed_mps") > 2.5)
    assert 150 < moving["cadence_spm"].median() < 200  # type: ignore[operator]


def test_positions_are_degrees_and_local_offset_comes_from_the_device() -> None:
    path = shared_path("fit/running/fnardmann__10024712104_ACTIVITY.fit")
    session = decode(path.read_bytes()).sessions[0]
    assert session.samples["lat"].mean() == pytest.approx(52.35, abs=0.1)
    assert session.utc_offset_s == 3600 and session.utc_offset_source == "device"


@pytest.mark.parametrize(
    "name", ["fitdecode__activity-filecrc.fit", "fitdecode__activity-unexpected-eof.fit"]
)
def test_damaged_files_are_salvaged_with_a_warning(name: str) -> None:
    fit = decode((TEST_DATA / name).read_bytes())
    assert fit.decoder == "garmin-fit-sdk"
    assert fit.warnings and "salvaged" in fit.warnings[0]
    assert fit.sessions[0].samples.height > 0


def test_empty_and_garbage_input_fail_with_a_reason() -> None:
    with pytest.raises(FitError, match="empty file"):
        decode(b"")
    with pytest.raises(FitError, match="not a FIT file"):
        decode(b"<html>this is not a FIT file</html>")


def test_settings_file_is_not_an_activity() -> None:
    path = shared_path("fit/edge_cases/fitdecode__Settings.fit")
    with pytest.raises(NotAnActivity, match="settings"):
        decode(path.read_bytes())


def _every_shared_fit() -> list[Path]:
    """Every file under fit/; of each history (one watch's files), the largest file of
    each record layout (39 of 174): the others take the same decoding path; every
    history file is still walked by test_fit_stream.py and imported by the history
    tests of test_weekly.py and test_sessions.py (weekly km and session types asserted)."""
    if not SHARED.exists():
        return []
    fit = sorted(p for p in SHARED.rglob("*") if p.suffix.lower() == ".fit")
    histories = {p.parent for p in fit if p.is_relative_to(SHARED / "history")}
    chosen = [p for p in fit if p.parent not in histories]
    for folder in sorted(histories):
        chosen += largest_per_layout([p for p in fit if p.parent == folder])
    return sorted(chosen)


@pytest.mark.slow
@pytest.mark.parametrize("path", _every_shared_fit(), ids=lambda p: p.name)
def test_records_agree_with_fitparse(path: Path) -> None:
    """Differential: wherever fitparse reads a file, timestamps, distance, speed, HR agree."""
    try:
        records = [m.get_values() for m in fitparse.FitFile(str(path)).get_messages("record")]
    except fitparse.FitParseError:  # CRC, truncation, headers: fitparse refuses damaged files
        pytest.skip("fitparse cannot read this file")
    try:
        fit = decode(path.read_bytes())
    except NotAnActivity:
        pytest.skip("not an activity")
    except FitError:
        assert not any(r.get("timestamp") for r in records), "fitparse read records we refused"
        return
    ours = pl.concat([s.samples for s in fit.sessions]).unique("t", keep="first").sort("t")
    theirs = _fitparse_frame(records)
    if theirs.is_empty():
        assert ours.is_empty(), "we made samples of a file fitparse reads no records from"
        return
    assert not ours.is_empty(), "fitparse read records we did not"
    # compare on elapsed seconds from the first record: device-clock files are re-dated
    ours = ours.with_columns(e=(pl.col("t") - pl.col("t").min()).dt.total_milliseconds() / 1000)
    theirs = theirs.with_columns(e=pl.col("e") - pl.col("e").min())
    joined = theirs.join(ours, on="e", how="left", suffix="_ours")
    assert joined["t"].null_count() <= max(2, 0.01 * theirs.height), "records missing"
    for mine, ref, tol in [
        ("distance_m", "distance", 0.01),
        ("speed_mps", "speed", 0.01),
        ("heart_rate", "heart_rate", 0.5),
    ]:
        both = joined.drop_nulls([mine, ref])
        if both.height:
            diff = (both[mine] - both[ref]).abs().max()
            assert diff is not None and float(diff) <= tol, f"{mine} differs by {diff}"


def _fitparse_frame(records: list[dict[str, object]]) -> pl.DataFrame:
    rows = []
    for values in records:
        stamp = values.get("timestamp")
        if stamp is None:
            continue
        seconds = stamp.timestamp() if hasattr(stamp, "timestamp") else float(stamp)  # type: ignore[arg-type]
        speed = values.get("enhanced_speed", values.get("speed"))
        rows.append(
            {
                "e": float(seconds),
                "distance": _float(values.get("distance")),
                "speed": _float(speed),
                "heart_rate": _float(values.get("heart_rate")),
            }
        )
    frame = pl.DataFrame(
        rows,
        schema={
            "e": pl.Float64,
            "distance": pl.Float64,
            "speed": pl.Float64,
            "heart_rate": pl.Float64,
        },
    )
    return frame.unique("e", keep="first").sort("e")


def _float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None
