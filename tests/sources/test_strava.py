"""Strava payloads to Sessions, OAuth helpers and `terskel auth strava` (fake API, no internet)."""

from __future__ import annotations

import datetime as dt
import stat
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest
import requests
from typer.testing import CliRunner

from terskel.cli import app
from terskel.cli import strava as strava_cli
from terskel.config import STRAVA_TOKEN_FILE
from terskel.sources import strava
from terskel.sources.units import LAP_SCHEMA, SAMPLE_SCHEMA
from tests.jobs.sync.fake_strava import FakeStrava, fake_strava, load

__all__ = ["fake_strava"]

runner = CliRunner()


def _streams() -> list[dict[str, Any]]:
    return load("go_strava__activity_stream.json")  # type: ignore[no-any-return]


def test_ride_streams_map_to_the_fit_sample_shape() -> None:
    ride = load("go_strava__activity_get.json")
    session = strava.session_from_payloads(ride, [], _streams())
    samples = session.samples
    assert samples.schema == pl.Schema(SAMPLE_SCHEMA)
    assert samples.height == 998  # the point without a time is dropped
    assert samples["t"][0] == dt.datetime(2010, 8, 15, 18, 4, 29)
    assert samples["t"][-1] == dt.datetime(2010, 8, 15, 18, 4, 29) + dt.timedelta(seconds=3935)
    assert samples["cadence_spm"][1] == 80  # a ride: rpm as recorded
    assert (samples["lat"][1], samples["lon"][1]) == (38.546881, -121.817439)
    assert (session.sport, session.sub_sport, session.utc_offset_source) == (
        "cycling",
        None,
        "strava",
    )
    assert session.utc_offset_s == -7 * 3600 and session.distance_m == 20739.1


def test_run_cadence_is_doubled_to_steps_per_minute_like_fit() -> None:
    run = load("stravalib__activity.3.json")
    session = strava.session_from_payloads({**run, "average_cadence": 85.0}, [], _streams())
    assert session.sport == "running"
    assert session.samples["cadence_spm"][1] == 160  # 80 per foot
    assert session.avg_cadence_spm == 170


def test_both_stream_forms_give_the_same_samples() -> None:
    ride = load("go_strava__activity_get.json")
    by_type = {s["type"]: {k: v for k, v in s.items() if k != "type"} for s in _streams()}
    listed = strava.session_from_payloads(ride, [], _streams()).samples
    keyed = strava.session_from_payloads(ride, [], by_type).samples
    assert listed.equals(keyed)


def test_stream_set_without_heart_rate_leaves_the_column_empty() -> None:
    ride = load("go_strava__activity_get.json")
    streams = [s for s in _streams() if s["type"] != "heartrate"]
    samples = strava.session_from_payloads(ride, [], streams).samples
    assert samples.schema == pl.Schema(SAMPLE_SCHEMA)
    assert samples["heart_rate"].null_count() == samples.height
    assert samples["speed_mps"].drop_nulls().len() > 900


def test_manual_activity_has_a_summary_and_no_streams() -> None:
    manual = load("stravalib__activity-manual.3.json")
    assert not strava.needs_streams_request(manual)
    session = strava.session_from_payloads(manual, [], {})
    assert session.samples.is_empty() and session.laps.schema == pl.Schema(LAP_SCHEMA)


def test_laps_map_to_the_lap_shape() -> None:
    laps = strava.laps_frame(load("go_strava__activity_list_laps.json"))
    assert laps.schema == pl.Schema(LAP_SCHEMA)
    row = laps.row(0, named=True)
    assert row["start_utc"] == dt.datetime(2013, 9, 28, 17, 27, 59)
    assert row["end_utc"] == row["start_utc"] + dt.timedelta(seconds=6219)
    assert (row["timer_s"], row["distance_m"], row["avg_power_w"]) == (5118, 25109.4, 70.0)


@pytest.mark.parametrize(
    ("payload", "offset"),
    [
        ({"utc_offset": 3600.0}, 3600),
        ({"start_date_local": "2013-12-12T11:36:41Z"}, -8 * 3600),
        ({"timezone": "(GMT-08:00) America/Los_Angeles"}, -8 * 3600),
        ({"timezone": "(GMT+01:00) Europe/Oslo"}, 3600),
        ({}, 0),
    ],
)
def test_utc_offset(payload: dict[str, Any], offset: int) -> None:
    assert strava.utc_offset(payload, dt.datetime(2013, 12, 12, 19, 36, 41)) == offset


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        ({"sport_type": "TrailRun", "type": "Run"}, ("running", "trail")),
        ({"type": "Run", "trainer": True}, ("running", "treadmill")),
        ({"type": "NordicSki"}, ("cross_country_skiing", None)),
        ({"sport_type": "Pickleball"}, ("pickleball", None)),
    ],
)
def test_sports(detail: dict[str, Any], expected: tuple[str, str | None]) -> None:
    assert strava.sport_of(detail) == expected


def test_fingerprint_changes_with_edits_but_not_with_kudos() -> None:
    summary = load("go_strava__current_athlete_list_activities.json")[0]
    print_ = strava.fingerprint(summary)
    assert strava.fingerprint({**summary, "kudos_count": 99}) == print_
    assert strava.fingerprint({**summary, "distance": 1.0}) != print_


def test_parse_redirect() -> None:
    grant = strava.parse_redirect(
        "http://127.0.0.1/authorized?state=abc&code=f00d&scope=read,activity:read_all"
    )
    assert (grant.code, grant.state, grant.scope) == ("f00d", "abc", "read,activity:read_all")
    assert strava.parse_redirect(" f00d \n").code == "f00d"
    with pytest.raises(strava.StravaError, match="access_denied"):
        strava.parse_redirect("http://127.0.0.1/authorized?state=abc&error=access_denied")
    with pytest.raises(strava.StravaError):
        strava.parse_redirect("not a code!")


def test_check_scope() -> None:
    assert strava.check_scope("read,activity:read_all") is None
    assert "private" in (strava.check_scope("read,activity:read") or "")
    with pytest.raises(strava.StravaError):
        strava.check_scope("read")


def test_tokens_are_saved_0600_and_never_shown(tmp_path: Path) -> None:
    path = tmp_path / "sub" / STRAVA_TOKEN_FILE
    tokens = strava.Tokens("AT-secret", "RT-secret", 1, 7, "read", "12345", "S-secret")
    strava.save_tokens(path, tokens)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert strava.load_tokens(path) == tokens
    assert "secret" not in repr(tokens) and "secret" not in repr(
        strava.AppCredentials("1", "S-secret")
    )
    path.write_text("{broken")
    with pytest.raises(strava.TokenRejected):
        strava.load_tokens(path)


def _auth(tmp_path: Path, *args: str) -> Any:
    config = tmp_path / "config.toml"
    config.write_text('[strava]\nclient_id = "12345"\n')
    return runner.invoke(
        app,
        ["--config", str(config), "auth", "strava", *args],
        env={"STRAVA_CLIENT_SECRET": "SECRET"},
    )


def test_auth_with_a_pasted_redirect_saves_tokens(fake_strava: FakeStrava, tmp_path: Path) -> None:
    started = _auth(tmp_path)  # no terminal: prints the address, remembers its state
    address = next(w for w in started.output.split() if w.startswith("https://"))
    state = parse_qs(urlsplit(address).query)["state"][0]
    result = _auth(
        tmp_path,
        "--code",
        f"http://127.0.0.1/authorized?state={state}&code=CODE&scope=read,activity:read_all",
    )
    assert result.exit_code == 0, result.output
    assert "athlete 123" in result.output and "ACCESS_TOKEN" not in result.output
    saved = strava.load_tokens(tmp_path / STRAVA_TOKEN_FILE)
    assert saved is not None and (saved.access_token, saved.refresh_token) == (
        "ACCESS_TOKEN",
        "REFRESH_TOKEN",
    )
    assert saved.client_id == "12345" and saved.scope == "read,activity:read_all"
    assert stat.S_IMODE((tmp_path / STRAVA_TOKEN_FILE).stat().st_mode) == 0o600


def test_auth_without_a_terminal_never_prompts(tmp_path: Path) -> None:
    result = _auth(tmp_path)
    assert result.exit_code == 2
    assert "https://www.strava.com/oauth/authorize?client_id=12345" in result.output
    assert "--code" in result.output and not (tmp_path / STRAVA_TOKEN_FILE).exists()


def _browser_returning(extra: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in browser: Strava's answer goes to the redirect URI of the sign-in address."""
    monkeypatch.setattr(strava_cli, "_stdin_is_tty", lambda: True)
    monkeypatch.setattr(strava_cli, "_has_browser", lambda: True)

    def open_browser(url: str) -> bool:
        query = parse_qs(urlsplit(url).query)
        back = f"{query['redirect_uri'][0]}?state={query['state'][0]}{extra}"
        threading.Thread(target=requests.get, args=(back,), daemon=True).start()
        return True

    monkeypatch.setattr(strava_cli.webbrowser, "open", open_browser)


def test_auth_in_the_browser_catches_the_local_redirect(
    fake_strava: FakeStrava, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _browser_returning("&code=CODE&scope=read,activity:read", monkeypatch)
    result = _auth(tmp_path)
    assert result.exit_code == 0, result.output
    assert "private activities were not granted" in result.output
    assert (tmp_path / STRAVA_TOKEN_FILE).exists()


def test_auth_refuses_a_denied_grant(
    fake_strava: FakeStrava, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _browser_returning("&error=access_denied", monkeypatch)
    result = _auth(tmp_path)
    assert result.exit_code == 3 and "access_denied" in result.output
    assert not (tmp_path / STRAVA_TOKEN_FILE).exists()
