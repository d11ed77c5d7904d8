"""OAuth `state` of `terskel auth strava`: forged, stale and late answers are refused, over
real HTTP to the redirect catcher on 127.0.0.1 and through `--code`."""

from __future__ import annotations

import json
import stat
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from typer.testing import CliRunner

from terskel.cli import app
from terskel.cli import strava as strava_cli
from terskel.config import STRAVA_TOKEN_FILE
from terskel.sources import strava
from tests.jobs.sync.fake_strava import FakeStrava, fake_strava

__all__ = ["fake_strava"]

runner = CliRunner()
SCOPE = "&scope=read,activity:read_all"


def test_catcher_keeps_only_the_first_answer_with_our_state() -> None:
    with strava.RedirectCatcher("OURS") as catcher:
        back = catcher.redirect_uri
        none = requests.get(f"{back}?code=FORGED{SCOPE}", timeout=5)
        wrong = requests.get(f"{back}?state=THEIRS&code=FORGED{SCOPE}", timeout=5)
        empty = requests.get(f"{back}?state=&code=FORGED{SCOPE}", timeout=5)
        other = requests.get(f"{back.removesuffix('/authorized')}/favicon.ico", timeout=5)
        assert catcher.wait(0) is None  # nothing forged was caught
        first = requests.get(f"{back}?state=OURS&code=FIRST{SCOPE}", timeout=5)
        later = requests.get(f"{back}?state=OURS&code=LATER{SCOPE}", timeout=5)
        denied = requests.get(f"{back}?state=OURS&error=access_denied", timeout=5)
        grant = catcher.wait(5)
    assert [r.status_code for r in (none, wrong, empty, other)] == [400, 400, 400, 404]
    assert "does not belong" in wrong.text
    assert (first.status_code, later.status_code, denied.status_code) == (200, 409, 409)
    assert grant is not None and (grant.code, grant.state) == ("FIRST", "OURS")


def test_check_state_refuses_missing_and_wrong_states() -> None:
    good = strava.parse_redirect(f"http://127.0.0.1/authorized?state=S1&code=C{SCOPE}")
    assert strava.check_state(good, "S1") is good
    with pytest.raises(strava.StravaError, match="state mismatch"):
        strava.check_state(good, "S2")
    with pytest.raises(strava.StravaError, match="carries no state"):
        strava.check_state(strava.parse_redirect("abc123"), "S1")
    with pytest.raises(strava.StravaError, match="carries no state"):
        strava.check_state(strava.parse_redirect(f"http://127.0.0.1/?code=C{SCOPE}"), "S1")


def _auth(tmp_path: Path, *args: str) -> Any:
    config = tmp_path / "config.toml"
    config.write_text('[strava]\nclient_id = "12345"\n')
    return runner.invoke(
        app,
        ["--config", str(config), "auth", "strava", *args],
        env={"STRAVA_CLIENT_SECRET": "SECRET"},
    )


def _started(tmp_path: Path) -> str:
    """Start a sign-in without a terminal; the state in the printed address."""
    result = _auth(tmp_path)
    assert result.exit_code == 2
    address = next(w for w in result.output.split() if w.startswith("https://"))
    return parse_qs(urlsplit(address).query)["state"][0]


def _exchanged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The codes traded for tokens (the real exchange still runs against the fake)."""
    codes: list[str] = []
    real = strava.exchange_code

    def spy(credentials: strava.AppCredentials, grant: strava.Grant) -> strava.Tokens:
        codes.append(grant.code)
        return real(credentials, grant)

    monkeypatch.setattr(strava, "exchange_code", spy)
    return codes


def test_code_with_the_saved_state_signs_in_once(
    fake_strava: FakeStrava, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = _exchanged(monkeypatch)
    state = _started(tmp_path)
    state_file = tmp_path / strava_cli.STATE_FILE
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert json.loads(state_file.read_text())["state"] == state
    address = f"http://127.0.0.1/authorized?state={state}&code=GOOD{SCOPE}"
    result = _auth(tmp_path, "--code", address)
    assert result.exit_code == 0, result.output
    assert codes == ["GOOD"] and (tmp_path / STRAVA_TOKEN_FILE).exists()
    assert not state_file.exists()  # spent: the same address cannot sign in again
    again = _auth(tmp_path, "--code", address)
    assert again.exit_code == 3 and "no sign-in in progress" in again.output
    assert codes == ["GOOD"]


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("http://127.0.0.1/authorized?state=FORGED&code=BAD" + SCOPE, "state mismatch"),
        ("http://127.0.0.1/authorized?code=BAD" + SCOPE, "carries no state"),
        ("BAD", "carries no state"),
    ],
)
def test_code_without_our_state_is_refused(
    code: str, said: str, fake_strava: FakeStrava, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = _exchanged(monkeypatch)
    _started(tmp_path)
    result = _auth(tmp_path, "--code", code)
    assert result.exit_code == 3 and said in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert codes == [] and not (tmp_path / STRAVA_TOKEN_FILE).exists()


def test_code_without_a_sign_in_or_after_an_hour_is_refused(
    fake_strava: FakeStrava, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = _exchanged(monkeypatch)
    never = _auth(tmp_path, "--code", f"http://127.0.0.1/authorized?state=S&code=C{SCOPE}")
    assert never.exit_code == 3 and "no sign-in in progress" in never.output
    state = _started(tmp_path)
    state_file = tmp_path / strava_cli.STATE_FILE
    old = time.time() - strava.STATE_TTL_S - 60
    state_file.write_text(json.dumps({"state": state, "created_at": old}))
    late = _auth(tmp_path, "--code", f"http://127.0.0.1/authorized?state={state}&code=C{SCOPE}")
    assert late.exit_code == 3 and "expired" in late.output
    assert codes == []


def test_browser_sign_in_ignores_forged_and_later_redirects(
    fake_strava: FakeStrava, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = _exchanged(monkeypatch)
    monkeypatch.setattr(strava_cli, "_stdin_is_tty", lambda: True)
    monkeypatch.setattr(strava_cli, "_has_browser", lambda: True)
    answers: list[int] = []
    visitors: list[threading.Thread] = []

    def browser(url: str) -> bool:
        query = parse_qs(urlsplit(url).query)
        back, state = query["redirect_uri"][0], query["state"][0]
        forged = [f"{back}?code=FORGED{SCOPE}", f"{back}?state=x&code=FORGED{SCOPE}"]
        real, late = (f"{back}?state={state}&code={c}{SCOPE}" for c in ("REAL", "LATE"))

        def visit() -> None:  # an attacker first, then Strava, then a late replay
            for target in [*forged, real, late]:
                try:
                    answers.append(requests.get(target, timeout=5).status_code)
                except requests.ConnectionError:  # the catcher closed after the real one
                    answers.append(0)

        visitors.append(threading.Thread(target=visit, daemon=True))
        visitors[0].start()
        return True

    monkeypatch.setattr(strava_cli.webbrowser, "open", browser)
    result = _auth(tmp_path)
    visitors[0].join(10)
    assert result.exit_code == 0, result.output
    assert codes == ["REAL"]
    assert answers[:3] == [400, 400, 200] and answers[3] in (409, 0)
