"""A fake Garmin Connect (SSO, token exchange, API) on 127.0.0.1 for the real `garminconnect`.

It serves recorded payloads from tests/data/garmin (garth's cassettes) and zips of
real FIT files; tests add activities, failures and 429s to its state.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from terskel.sources import garmin
from terskel.sources.fit import decode
from tests.conftest import DEMO_DATA, TEST_DATA

GARMIN_DATA = TEST_DATA / "garmin"
CLIENT_ID = "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2"
PASSWORD = "correct horse"
MFA_CODE = "123456"
# Real runs shipped with the package (credited in src/terskel/data/demo/README.md).
DEMO_RUNS = (
    "fitparse__activity-small-fenix2-run.fit",
    "tormoder__0137001239.fit",
    "workoutizer__run_with_coordinates.fit",
    "heartandsole__3981100861.fit",
    "workoutizer__with_nones.fit",
)

# GET /biometric-service/biometric/latestLactateThreshold, in the shape garminconnect 0.3.2
# parses: one entry for speed (s/m), one for heart rate ("hearRate", as Garmin spells it).
LATEST_LACTATE = [
    {"userProfilePK": 1, "version": 1, "calendarDate": "2025-05-19", "sequence": 1,
     "speed": 0.3125},
    {"userProfilePK": 1, "version": 1, "calendarDate": "2025-05-19", "sequence": 1,
     "hearRate": 168},
]  # fmt: skip


def recorded(name: str) -> Any:
    """A recorded Garmin Connect payload from tests/data/garmin."""
    return json.loads((GARMIN_DATA / name).read_text(encoding="utf-8"))


def jwt(exp: float, serial: int) -> str:
    """A token shaped like Garmin's DI token (garminconnect reads client_id and exp)."""
    claims = {"client_id": CLIENT_ID, "exp": int(exp), "jti": f"fake-{serial}"}
    return f"{_b64({'alg': 'none'})}.{_b64(claims)}.signature"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def zip_of(name: str, content: bytes) -> bytes:
    """An ORIGINAL download: a zip holding one file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


@functools.cache
def fit_start(path: Path) -> dt.datetime:
    """UTC start of a FIT file's first session (naive, like the store)."""
    return decode(path.read_bytes()).sessions[0].start_utc


@dataclass
class FakeActivity:
    """One activity on the fake account: its list entry, summary and ORIGINAL download."""

    activity_id: int
    start_utc: dt.datetime
    download: bytes
    fit: bytes | None = None
    manual: bool = False  # entered by hand on Garmin Connect: no file

    def list_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = copy.deepcopy(recorded("activity_list_page1.json")[0])
        entry.update(
            activityId=self.activity_id,
            activityName=f"Run {self.activity_id}",
            startTimeGMT=f"{self.start_utc:%Y-%m-%d %H:%M:%S}",
            startTimeLocal=f"{self.start_utc:%Y-%m-%d %H:%M:%S}",
            manualActivity=self.manual,
        )
        return entry

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = copy.deepcopy(recorded("activity_21482825013.json"))
        summary["activityId"] = self.activity_id
        summary["summaryDTO"]["startTimeGMT"] = f"{self.start_utc:%Y-%m-%dT%H:%M:%S}.0"
        return summary


@dataclass
class FakeGarmin:
    """State of the fake service; every request is recorded in `requests`."""

    base: str = ""
    activities: list[FakeActivity] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)  # path -> HTTP status to answer
    mfa_users: set[str] = field(default_factory=set)
    refresh_works: bool = True
    lactate: Any = None
    power: Any = None
    serial: int = 0
    access: str = ""
    access_expires: float = 0.0
    refresh: str = ""

    @property
    def endpoints(self) -> garmin.Endpoints:
        return garmin.Endpoints(
            sso=self.base,
            connect=self.base,
            api=self.base,
            di_token=f"{self.base}/di-oauth2-service/oauth/token",
        )

    def issue(self, lifetime_s: float = 3600) -> dict[str, Any]:
        """New tokens; the old access token stops working."""
        self.serial += 1
        self.access_expires = time.time() + lifetime_s
        self.access = jwt(self.access_expires, self.serial)
        self.refresh = f"refresh-{self.serial}"
        return {"access_token": self.access, "refresh_token": self.refresh, "expires_in": 3600}

    def token_file(self, token_dir: Path, lifetime_s: float = 3600) -> Path:
        """Saved tokens as `terskel auth garmin` leaves them (0600 in a 0700 dir)."""
        self.issue(lifetime_s)
        token_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = token_dir / garmin.TOKEN_FILE
        tokens = {
            "di_token": self.access,
            "di_refresh_token": self.refresh,
            "di_client_id": CLIENT_ID,
        }
        path.write_text(json.dumps(tokens))
        path.chmod(0o600)
        return path

    def add_fit(self, fit: Path, activity_id: int | None = None) -> FakeActivity:
        """An activity whose ORIGINAL download is a zip of a real FIT file."""
        activity_id = activity_id or 20_000_000_000 + len(self.activities)
        content = fit.read_bytes()
        download = zip_of(f"{activity_id}_ACTIVITY.fit", content)
        activity = FakeActivity(activity_id, fit_start(fit), download, content)
        self.activities.append(activity)
        return activity

    def paths(self, prefix: str) -> list[tuple[str, dict[str, list[str]]]]:
        return [(p, q) for m, p, q in self.requests if p.startswith(prefix)]

    # -- request handling ---------------------------------------------------------

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: bytes
    ) -> tuple[int, bytes, str]:
        self.requests.append((method, path, query))
        if path in self.fail:
            return self.fail[path], b'{"message": "injected failure"}', "application/json"
        if method == "POST":
            return self.post(path, body)
        expired = time.time() > self.access_expires
        if headers.get("Authorization") != f"Bearer {self.access}" or expired:
            return 401, b'{"message": "Unauthorized"}', "application/json"
        return self.get(path, query)

    def post(self, path: str, body: bytes) -> tuple[int, bytes, str]:
        if path == "/mobile/api/login":
            return self.json(self.login(json.loads(body)))
        if path.endswith("/api/mfa/verifyCode"):
            ok = json.loads(body).get("mfaVerificationCode") == MFA_CODE
            return self.json(
                self.ticket() if ok else {"responseStatus": {"type": "INVALID_MFA_CODE"}}
            )
        if path == "/di-oauth2-service/oauth/token":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            return self.token(form)
        return 404, b"{}", "application/json"

    def login(self, credentials: dict[str, Any]) -> dict[str, Any]:
        if credentials.get("password") != PASSWORD:
            return {"responseStatus": {"type": "INVALID_USERNAME_PASSWORD"}}
        if credentials.get("username") in self.mfa_users:
            return {
                "responseStatus": {"type": "MFA_REQUIRED"},
                "customerMfaInfo": {"mfaLastMethodUsed": "email"},
            }
        return self.ticket()

    def ticket(self) -> dict[str, Any]:
        return {"responseStatus": {"type": "SUCCESSFUL"}, "serviceTicketId": "ST-0000-fake"}

    def token(self, form: dict[str, str]) -> tuple[int, bytes, str]:
        if form.get("grant_type") == "refresh_token":
            if not self.refresh_works or form.get("refresh_token") != self.refresh:
                return 400, b'{"error": "invalid_grant"}', "application/json"
        elif form.get("service_ticket") != "ST-0000-fake":
            return 400, b'{"error": "invalid_ticket"}', "application/json"
        return self.json(self.issue())

    def get(self, path: str, query: dict[str, list[str]]) -> tuple[int, bytes, str]:
        parts = path.strip("/").split("/")
        if path == "/userprofile-service/socialProfile":
            return self.json(recorded("social_profile.json"))
        if path == "/userprofile-service/userprofile/user-settings":
            return self.json(recorded("user_settings.json"))
        if path == "/activitylist-service/activities/search/activities":
            return self.json(self.search(query))
        if path.startswith("/activity-service/activity/"):
            found = self.find(parts[-1])
            return self.json(found.summary()) if found else (404, b"{}", "application/json")
        if path.startswith("/download-service/files/activity/"):
            found = self.find(parts[-1])
            if found is None:
                return 404, b"{}", "application/json"
            return 200, found.download, "application/x-zip-compressed"
        if path == "/biometric-service/biometric/latestLactateThreshold":
            return self.json(self.lactate) if self.lactate is not None else (204, b"", "")
        if path.startswith("/biometric-service/biometric/powerToWeight/latest/"):
            return self.json(self.power) if self.power is not None else (204, b"", "")
        if path == "/biometric-service/heartRateZones":
            return self.json(recorded("heart_rate_zones.json"))
        return 404, b'{"message": "not faked"}', "application/json"

    def search(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        since = query.get("startDate", ["0000-00-00"])[0]
        start, limit = int(query["start"][0]), int(query["limit"][0])
        chosen = sorted(
            (a for a in self.activities if f"{a.start_utc:%Y-%m-%d}" >= since),
            key=lambda a: a.start_utc,
            reverse=query.get("sortOrder", ["desc"])[0] != "asc",
        )
        return [a.list_entry() for a in chosen[start : start + limit]]

    def find(self, activity_id: str) -> FakeActivity | None:
        return next((a for a in self.activities if str(a.activity_id) == activity_id), None)

    @staticmethod
    def json(payload: Any) -> tuple[int, bytes, str]:
        return 200, json.dumps(payload).encode(), "application/json;charset=UTF-8"


def _handler(fake: FakeGarmin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def _answer(self, method: str) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, content, kind = fake.answer(
                method, url.path, parse_qs(url.query), self.headers, body
            )
            self.send_response(status)
            if kind:
                self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: pytest shows failures, not every request."""

    return Handler


@contextmanager
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGarmin]:
    """Run a fake Garmin Connect on 127.0.0.1; every new client talks to it, nothing else."""
    # Anything not sent to 127.0.0.1 goes to a closed port: no test reaches the internet.
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("GARMINTOKENS", raising=False)
    fake = FakeGarmin()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setattr(garmin, "ENDPOINTS", fake.endpoints)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def demo_run(index: int) -> Path:
    """One of the real runs bundled as demo data."""
    return DEMO_DATA / DEMO_RUNS[index]
