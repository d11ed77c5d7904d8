"""A fake Strava API on 127.0.0.1 serving recorded payloads to the real stravalib client."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import re
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from stravalib.protocol import ApiV3

from terskel.sources import strava
from terskel.sources.strava import client as strava_client
from tests.conftest import TEST_DATA

DATA = TEST_DATA / "strava"
RIDE_ID = 103221154  # the recorded detail + streams (go.strava)
RUN_ID = 103359122  # the recorded run detail (no streams recorded)
LAPS_ID = 103373338  # the activity of the recorded laps


def load(name: str) -> Any:
    """A recorded JSON payload from tests/data/strava."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def token_responses() -> list[dict[str, Any]]:
    """The recorded POST /oauth/token answers (code exchange, refresh) of strava-offline."""
    text = (DATA / "strava_offline__test_fetch_token.yaml").read_text(encoding="utf-8")
    bodies = re.findall(r"string: \|\n((?:[ ]{8}.*\n)+)", text)
    return [json.loads(textwrap.dedent(body)) for body in bodies]


# Strava's documented error bodies; no real 429/403-Inactive recording exists (MANIFEST gaps).
RATE_LIMIT_BODY = {
    "message": "Rate Limit Exceeded",
    "errors": [{"resource": "Application", "field": "rate limit", "code": "exceeded"}],
}
INACTIVE_BODY = {
    "message": "Forbidden",
    "errors": [{"resource": "Application", "field": "Status", "code": "Inactive"}],
}


@dataclass(frozen=True)
class Raw:
    """A reply sent as given: a body cut short (`declared` > its length), not JSON, or late."""

    body: bytes
    declared: int | None = None  # the Content-Length to claim
    delay_s: float = 0.0


# (path, query) -> a reply, or None to answer as usual
Hook = Callable[[str, dict[str, list[str]]], "tuple[int, Any] | None"]


@dataclass
class FakeStrava:
    """State of the fake API: activities, valid tokens, rate-limit counters, scripted faults."""

    summaries: list[dict[str, Any]] = field(default_factory=list)
    details: dict[int, dict[str, Any]] = field(default_factory=dict)
    laps: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    streams: dict[int, Any] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=lambda: {"ACCESS_TOKEN"})
    usage: list[int] = field(default_factory=lambda: [0, 0])  # read usage: 15 min, day
    limits: tuple[int, int] = (100, 1000)  # read limits (Strava's defaults since 2025)
    faults: dict[str, tuple[int, Any]] = field(default_factory=dict)  # path regex -> answer
    log: list[str] = field(default_factory=list)
    hooks: list[Hook] = field(default_factory=list)  # scripted faults, before `faults`
    port: int = 0

    def once(self, pattern: str, *replies: tuple[int, Any]) -> None:
        """Answer the next requests whose path matches `pattern` with `replies`, in order."""
        queue = list(replies)

        def hook(path: str, _query: dict[str, list[str]]) -> tuple[int, Any] | None:
            return queue.pop(0) if queue and re.fullmatch(pattern, path) else None

        self.hooks.append(hook)

    def answer(self, method: str, target: str, headers: Any, body: str) -> tuple[int, Any]:
        """Status and JSON body for one request (rate headers are added by the handler)."""
        path, query = urlsplit(target).path, parse_qs(urlsplit(target).query)
        self.log.append(f"{method} {target}")
        if path == "/oauth/token":
            return self._token(parse_qs(body))
        for hook in self.hooks:
            scripted = hook(path, query)
            if scripted is not None:
                return scripted
        for pattern, reply in self.faults.items():
            if re.fullmatch(pattern, path):
                return reply
        if headers.get("Authorization", "").removeprefix("Bearer ") not in self.access_tokens:
            return 401, load("go_strava__upload_create_unauthorized.json")
        self.usage = [self.usage[0] + 1, self.usage[1] + 1]
        if self.usage[0] > self.limits[0] or self.usage[1] > self.limits[1]:
            return 429, RATE_LIMIT_BODY
        return self._api(path, query)

    def _token(self, form: dict[str, list[str]]) -> tuple[int, Any]:
        exchange, refresh = token_responses()[:2]
        if form.get("client_secret") != ["SECRET"]:
            return 401, {"message": "Bad Request", "errors": [{"code": "invalid"}]}
        if form.get("grant_type") == ["refresh_token"]:
            if form.get("refresh_token") != ["REFRESH_TOKEN"]:
                return 400, {"message": "Bad Request", "errors": [{"code": "invalid"}]}
            self.access_tokens.add(refresh["access_token"])
            return 200, refresh
        return 200, exchange

    def _api(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if path == "/api/v3/athlete/activities":
            return 200, self._page(query)
        match = re.fullmatch(r"/api/v3/activities/(\d+)(/laps|/streams)?", path)
        if not match:
            return 404, {"message": "Record Not Found", "errors": []}
        activity_id, part = int(match.group(1)), match.group(2)
        if activity_id not in self.details:
            return 404, {"message": "Record Not Found", "errors": []}
        if part == "/laps":
            return 200, self.laps.get(activity_id, [])
        if part == "/streams":
            return 200, self.streams.get(activity_id, [])
        return 200, self.details[activity_id]

    def _page(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        after = int(query.get("after", ["0"])[0])
        page, per_page = int(query["page"][0]), int(query["per_page"][0])
        chosen = [s for s in self.summaries if _epoch(s["start_date"]) > after]
        # Strava lists newest first, but oldest first when `after` is given
        chosen.sort(key=lambda s: s["start_date"], reverse="after" not in query)
        return chosen[(page - 1) * per_page : page * per_page]

    def add(self, summary: dict[str, Any], detail: dict[str, Any] | None = None) -> None:
        """Serve one activity: its summary in the list, its detail (default: the summary)."""
        self.summaries.append(summary)
        self.details[int(summary["id"])] = detail if detail is not None else dict(summary)

    def remove(self, activity_id: int) -> None:
        """Delete an activity upstream."""
        self.summaries = [s for s in self.summaries if int(s["id"]) != activity_id]
        self.details.pop(activity_id, None)

    def api_calls(self, fragment: str = "/api/v3/") -> list[str]:
        """Logged requests whose target contains `fragment`."""
        return [line for line in self.log if fragment in line]


def _epoch(text: str) -> int:
    return int(strava.parse_time(text).replace(tzinfo=dt.UTC).timestamp())


def recorded_fake() -> FakeStrava:
    """The go.strava recordings: 14 activities, the ride with detail and streams."""
    fake = FakeStrava()
    details = {
        RIDE_ID: load("go_strava__activity_get.json"),
        RUN_ID: load("go_strava__activity_get_run.json"),
    }
    for summary in load("go_strava__current_athlete_list_activities.json"):
        fake.add(summary, details.get(int(summary["id"])))
    fake.streams[RIDE_ID] = load("go_strava__activity_stream.json")
    fake.laps[LAPS_ID] = load("go_strava__activity_list_laps.json")
    return fake


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStrava

    def do_GET(self) -> None:
        self._reply("")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._reply(self.rfile.read(length).decode())

    def _reply(self, body: str) -> None:
        status, payload = self.fake.answer(self.command, self.path, self.headers, body)
        raw = payload if isinstance(payload, Raw) else Raw(json.dumps(payload).encode())
        time.sleep(raw.delay_s)
        data = raw.body
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(raw.declared or len(data)))
        if not self.path.startswith("/oauth/"):
            usage = self.fake.usage
            self.send_header("X-RateLimit-Limit", "200,2000")
            self.send_header("X-RateLimit-Usage", f"{usage[0]},{usage[1]}")
            self.send_header(
                "X-ReadRateLimit-Limit", f"{self.fake.limits[0]},{self.fake.limits[1]}"
            )
            self.send_header("X-ReadRateLimit-Usage", f"{usage[0]},{usage[1]}")
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)  # fails when the client gave up waiting (timeout tests)

    def log_message(self, format: str, *args: Any) -> None:
        return


class LocalSession(strava_client.TimeoutSession):
    """stravalib always builds https:// URLs; the fake speaks plain HTTP on 127.0.0.1."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        text = url.decode() if isinstance(url, bytes) else url
        return super().request(
            method, text.replace("https://127.0.0.1", "http://127.0.0.1"), *args, **kwargs
        )


@pytest.fixture
def fake_strava(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStrava]:
    """The fake API on a free port, with the real stravalib client pointed at it."""
    fake = recorded_fake()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.port = server.server_address[1]
    # shutdown() waits up to one poll interval: the default 0.5 s ended every test late
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    monkeypatch.setattr(ApiV3, "server", f"127.0.0.1:{fake.port}")
    monkeypatch.setattr(strava_client, "http_session", LocalSession)
    monkeypatch.setattr(strava_client, "RETRY_WAIT_S", 0.01)
    monkeypatch.delenv("STRAVA_CLIENT_ID", raising=False)
    monkeypatch.delenv("STRAVA_CLIENT_SECRET", raising=False)
    # nothing may leave this machine: a request to strava.com fails the test
    monkeypatch.setattr(
        requests.adapters.HTTPAdapter, "send", _guarded(requests.adapters.HTTPAdapter.send)
    )
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def _guarded(send: Any) -> Any:
    def guarded(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        assert request.url.startswith("http://127.0.0.1"), f"test tried to reach {request.url}"
        return send(self, request, *args, **kwargs)

    return guarded


def clone(summary: dict[str, Any], activity_id: int, start: dt.datetime) -> dict[str, Any]:
    """A copy of a recorded summary with a new id and start (for long histories)."""
    copied = copy.deepcopy(summary)
    copied["id"] = activity_id
    copied["start_date"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    copied["start_date_local"] = copied["start_date"]
    return copied
