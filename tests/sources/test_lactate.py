"""Lactate CSV parsing: good rows kept, bad rows as 'line N: problem'."""

from __future__ import annotations

import datetime as dt

import pytest

from terskel.sources.lactate import LactateCsvError, Reading, parse_csv

CSV = """timestamp,activity,rep,mmol,note
2026-04-15T19:52:10,,,2.4,after rep 3
,12,6,2.9,
2026-04-15 20:05:00+08:00,,,abc,
,12,0,3.1,
,,,2.0,

2026-04-15T20:10:00Z,,,45,
2026-04-15,,,2.2,
"""


def test_good_rows_are_kept_and_bad_rows_name_their_line() -> None:
    parsed = parse_csv(CSV)
    assert parsed.readings == [
        Reading(2, 2.4, timestamp=dt.datetime(2026, 4, 15, 19, 52, 10), note="after rep 3"),
        Reading(3, 2.9, activity=12, rep=6),
    ]
    assert parsed.errors == [
        "line 4: mmol 'abc' is not a number",
        "line 5: rep '0' is not a positive whole number",
        "line 6: no timestamp and no activity + rep",
        "line 8: mmol 45 is outside 0.3-30 mmol/L",
        "line 9: timestamp '2026-04-15' has no time of day",
    ]


def test_offsets_make_instants_and_naive_times_stay_local() -> None:
    parsed = parse_csv("timestamp,mmol\n2026-04-15T12:05:00Z,2.1\n2026-04-15T20:05:00,2,2\n")
    assert parsed.readings[0].timestamp == dt.datetime(2026, 4, 15, 12, 5, tzinfo=dt.UTC)
    assert parsed.errors == []  # an extra cell past the header is ignored
    assert parsed.readings[1].mmol == 2.0


@pytest.mark.parametrize(
    ("header", "message"),
    [("timestamp,value\n", "no 'mmol' column"), ("activity,mmol\n", "'activity' and 'rep'")],
)
def test_a_file_without_the_needed_columns_is_one_error(header: str, message: str) -> None:
    with pytest.raises(LactateCsvError, match=message):
        parse_csv(header + "1,2\n")
