"""Strava API v3: OAuth helpers, a stravalib client that yields raw payloads, and the
mapping of those payloads to Sessions. No database access here, nothing printed.

The API side uses stravalib's protocol object for every request (its error types,
token endpoint and rate-limit header parsing) but asks for plain JSON, so the raw
payloads can be kept as Strava sent them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
import requests
from stravalib import exc as strava_exc
from stravalib.client import Client
from stravalib.util.limiter import RateLimiter, RequestRate, get_rates_from_response_headers
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from terskel.sources.model import Session, Upload
from terskel.sources.units import LAP_SCHEMA, SAMPLE_SCHEMA, steps_per_minute_sports

SOURCE = "strava"
SCOPES: list[Literal["read", "activity:read_all"]] = ["read", "activity:read_all"]
PAGE_SIZE = 200
STREAM_KEYS = (
    "time",
    "distance",
    "heartrate",
    "velocity_smooth",
    "cadence",
    "altitude",
    "latlng",
    "watts",
    "moving",
    "grade_smooth",
)
REFRESH_MARGIN_S = 300  # refresh this long before the access token expires
RATE_RESERVE = 2  # requests kept in hand below each limit (other runs share the app)
ACTIVITY_REQUESTS = 3  # detail + laps + streams: an activity is fetched whole or not at all
RETRY_ATTEMPTS = 4
RETRY_WAIT_S = 1.0  # first back-off; doubles per attempt
TIMEOUT_S = (10.0, 60.0)  # connect, read
# The summary fields whose change means "edited upstream: fetch again".
FINGERPRINT_FIELDS = (
    "start_date",
    "type",
    "sport_type",
    "name",
    "distance",
    "elapsed_time",
    "moving_time",
    "manual",
    "trainer",
    "workout_type",
    "total_elevation_gain",
    "average_heartrate",
)


class StravaError(Exception):
    """A Strava request failed; the message is one line for the user."""


class TokenRejected(StravaError):
    """401, a revoked grant, or no way to refresh: the user must sign in again."""


class AppInactive(StravaError):
    """403 "Inactive": the API application's owner has no active subscription."""


class NotFound(StravaError):
    """404: the activity is gone (deleted between listing and fetching)."""


class BadPayload(StravaError):
    """Strava answered with something that is not the activity it should be."""


class NetworkFailure(StravaError):
    """The network or Strava's servers failed even after retries."""


class RateLimited(StravaError):
    """The rate limit is reached (or would be by the next request)."""

    def __init__(self, resume_after: dt.datetime, message: str) -> None:
        super().__init__(message)
        self.resume_after = resume_after


class _Transient(Exception):
    """A failure worth retrying (connection, timeout, 5xx)."""


# -- tokens -----------------------------------------------------------------


@dataclass(frozen=True)
class Tokens:
    """The OAuth grant as kept in the 0600 token file."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: int
    athlete_id: int | None = None
    scope: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AppCredentials:
    """The API application: client id and (for code exchange and refresh) its secret."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)


def load_tokens(path: Path) -> Tokens | None:
    """The saved grant, or None when there is no token file."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Tokens(**{k: data.get(k) for k in Tokens.__dataclass_fields__})
    except (OSError, ValueError, TypeError) as exc:
        raise TokenRejected(f"{path}: unreadable token file ({type(exc).__name__})") from exc


def save_tokens(path: Path, tokens: Tokens) -> None:
    """Write the grant atomically to a file only its owner can read (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({k: getattr(tokens, k) for k in Tokens.__dataclass_fields__}, handle)
    os.chmod(temp, 0o600)
    os.replace(temp, path)


def app_credentials(config_client_id: str | None, tokens: Tokens | None) -> AppCredentials | None:
    """Client id and secret: env vars, then the config file (id only), then the token file."""
    client_id = (
        os.environ.get("STRAVA_CLIENT_ID")
        or config_client_id
        or (tokens.client_id if tokens else None)
    )
    secret = os.environ.get("STRAVA_CLIENT_SECRET") or (tokens.client_secret if tokens else None)
    if not client_id:
        return None
    return AppCredentials(str(client_id).strip(), secret.strip() if secret else None)


# -- OAuth ------------------------------------------------------------------


def authorization_url(credentials: AppCredentials, redirect_uri: str, state: str) -> str:
    """The Strava page where the athlete grants `activity:read_all`."""
    client = new_client(None)
    return client.authorization_url(
        client_id=_int_id(credentials),
        redirect_uri=redirect_uri,
        scope=list(SCOPES),
        state=state,
        approval_prompt="auto",
    )


def new_state() -> str:
    """A random OAuth `state` value (guards the redirect against forgery)."""
    return secrets.token_urlsafe(16)


STATE_TTL_S = 3600  # a sign-in address older than this is not finished with --code


def save_pending_state(path: Path, state: str) -> None:
    """Remember the state of the sign-in address just made (0600), for a later --code."""
    # {"state": "Qm9...", "created_at": 1767225600}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"state": state, "created_at": int(time.time())}, handle)


def pending_state(path: Path) -> str:
    """The state of the sign-in in progress; StravaError when there is none or it expired."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        state, created = str(data["state"]), float(data["created_at"])
    except FileNotFoundError:
        raise StravaError(
            "no sign-in in progress: run `terskel auth strava` first to get the address"
        ) from None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise StravaError(f"{path}: unreadable sign-in state ({type(exc).__name__})") from exc
    if time.time() - created > STATE_TTL_S:
        raise StravaError("that sign-in address has expired: run `terskel auth strava` again")
    return state


def check_state(grant: Grant, expected: str) -> Grant:
    """The grant, if it answers this sign-in; a missing or wrong state is refused."""
    if grant.state is None:
        raise StravaError(
            "the answer carries no state: paste the whole address Strava sent you to, "
            "not just the code"
        )
    if not secrets.compare_digest(grant.state.encode(), expected.encode()):
        raise StravaError("the answer does not belong to this sign-in (state mismatch)")
    return grant


@dataclass(frozen=True)
class Grant:
    """What the redirect carried: the one-time code, the granted scope, the state."""

    code: str = field(repr=False)
    scope: str | None
    state: str | None


def parse_redirect(pasted: str) -> Grant:
    """A pasted redirect URL (or a bare code) as a Grant; StravaError when denied."""
    # http://127.0.0.1/authorized?state=x&code=abc123&scope=read,activity:read_all
    text = pasted.strip()
    if "code=" not in text and "error=" not in text:
        if not re.fullmatch(r"[A-Za-z0-9]+", text):
            raise StravaError("that is neither a code nor the redirect address")
        return Grant(text, None, None)
    query = parse_qs(urlsplit(text).query or text.split("?", 1)[-1])
    if "error" in query:
        raise StravaError(f"Strava did not grant access ({query['error'][0]})")
    return Grant(
        query["code"][0],
        query.get("scope", [None])[0],
        query.get("state", [None])[0],
    )


def check_scope(scope: str | None) -> str | None:
    """A warning when the granted scope misses private activities; StravaError if none."""
    if scope is None:
        return None
    granted = set(scope.split(","))
    if not granted & {"activity:read", "activity:read_all"}:
        raise StravaError("access to activities was not granted; tick it and sign in again")
    if "activity:read_all" not in granted:
        return "private activities were not granted, so they will not be synced"
    return None


def exchange_code(credentials: AppCredentials, grant: Grant) -> Tokens:
    """Trade the one-time code for tokens (the secret is needed here)."""
    if not credentials.client_secret:
        raise StravaError("STRAVA_CLIENT_SECRET is not set")
    client = new_client(None)
    with _translated():
        access, athlete = client.protocol.exchange_code_for_token(
            client_id=_int_id(credentials),
            client_secret=credentials.client_secret,
            code=grant.code,
            return_athlete=True,
        )
    return Tokens(
        access_token=access["access_token"],
        refresh_token=access["refresh_token"],
        expires_at=int(access["expires_at"]),
        athlete_id=(athlete or {}).get("id"),
        scope=grant.scope,
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
    )


class RedirectCatcher:
    """A one-shot HTTP server on 127.0.0.1 that waits for Strava's redirect.

    Only an answer carrying this sign-in's `state` counts, and only the first one: a
    forged request (no or a wrong state) or a later one cannot replace the caught code.
    """

    def __init__(self, state: str, port: int = 0) -> None:
        self.state = state
        self._received: str | None = None
        self._event = threading.Event()
        self._guard = threading.Lock()
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, text = catcher._answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.end_headers()
                self.wfile.write(f"terskel: {text}\n".encode())

            def log_message(self, format: str, *args: Any) -> None:
                return  # the query holds the one-time code: never log it

        self._server = HTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _answer(self, path: str) -> tuple[int, str]:
        """Keep the first redirect that carries our state; HTTP status and text to show."""
        # /authorized?state=Qm9...&code=abc123&scope=read,activity:read_all
        query = parse_qs(urlsplit(path).query)
        if "code" not in query and "error" not in query:
            return 404, "this is not a sign-in answer."
        state = query.get("state", [""])[0]
        if not secrets.compare_digest(state.encode(), self.state.encode()):
            return 400, "this answer does not belong to the sign-in in progress; ignored."
        with self._guard:
            if self._received is not None:
                return 409, "the sign-in was already answered; ignored."
            self._received = path
        self._event.set()
        return 200, "you can close this tab and return to the terminal."

    @property
    def redirect_uri(self) -> str:
        """Where Strava should send the browser back to."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/authorized"

    def __enter__(self) -> RedirectCatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, timeout_s: float) -> Grant | None:
        """The grant once the browser comes back, or None after the timeout."""
        if not self._event.wait(timeout_s) or self._received is None:
            return None
        return check_state(parse_redirect(f"{self.redirect_uri}{self._received}"), self.state)


# -- the API client -----------------------------------------------------------


class TimeoutSession(requests.Session):
    """A requests session that never waits forever (cron must not hang)."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        """Send with a default timeout."""
        kwargs.setdefault("timeout", TIMEOUT_S)
        verb = method.decode() if isinstance(method, bytes) else method
        return super().request(verb, url, *args, **kwargs)


def http_session() -> requests.Session:
    """The HTTP session every Strava request goes through."""
    session = TimeoutSession()
    session.headers["User-Agent"] = "terskel (https://github.com/terskel)"
    return session


def new_client(tokens: Tokens | None, rate: RateLimiter | None = None) -> Client:
    """A stravalib client that never refreshes or sleeps on its own (we do both)."""
    with _quiet_stravalib():
        client = Client(
            access_token=tokens.access_token if tokens else None,
            rate_limiter=rate or RateWatch(),
            requests_session=http_session(),
            token_expires=tokens.expires_at if tokens else None,
            refresh_token=tokens.refresh_token if tokens else None,
        )
    # stravalib refreshes by itself when it finds STRAVA_CLIENT_ID/SECRET in the
    # environment, and then saves nothing: switch that off, StravaApi refreshes and saves.
    client.protocol.client_id = None
    client.protocol.client_secret = None
    return client


class RateWatch(RateLimiter):
    """Records the X-RateLimit-* / X-ReadRateLimit-* headers; never sleeps."""

    def __init__(self) -> None:
        super().__init__()
        self.rates: RequestRate | None = None

    def __call__(self, args: dict[str, str], method: Any) -> None:
        """Remember the newest usage and limits."""
        # X-RateLimit-Limit: 200,2000   X-RateLimit-Usage: 12,340   (15-minute, daily)
        rates = get_rates_from_response_headers(dict(args.items()), method)
        if rates is not None:
            self.rates = rates

    def can_afford(self, requests_needed: int) -> bool:
        """True when `requests_needed` more requests stay below both limits."""
        if self.rates is None:
            return True
        r = self.rates
        return (
            r.short_usage + requests_needed <= r.short_limit - RATE_RESERVE
            and r.long_usage + requests_needed <= r.long_limit - RATE_RESERVE
        )

    def resume_after(self, now: dt.datetime) -> dt.datetime:
        """When the exhausted window resets: next quarter hour, or next UTC midnight."""
        r = self.rates
        if r is not None and r.long_usage + ACTIVITY_REQUESTS > r.long_limit - RATE_RESERVE:
            return (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
        return quarter + dt.timedelta(minutes=15)

    def describe(self) -> str:
        """Usage as 'used/limit' for both windows."""
        if self.rates is None:
            return "usage unknown"
        r = self.rates
        return f"{r.short_usage}/{r.short_limit} per 15 min, {r.long_usage}/{r.long_limit} per day"


class StravaApi:
    """Yields raw payloads: summary pages, detail, laps, streams. Refreshes and saves tokens."""

    def __init__(
        self,
        tokens: Tokens,
        credentials: AppCredentials | None,
        on_tokens: Callable[[Tokens], None],
    ) -> None:
        self.rate = RateWatch()
        self.tokens = tokens
        self._credentials = credentials
        self._on_tokens = on_tokens
        self._client = new_client(tokens, self.rate)

    def activity_pages(
        self, after: dt.datetime | None, first_page: int = 1
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of SummaryActivity dicts (all of them when `after` is None), from `first_page`."""
        page = first_page
        while True:
            params: dict[str, Any] = {"page": page, "per_page": PAGE_SIZE}
            if after is not None:
                params["after"] = int(after.replace(tzinfo=dt.UTC).timestamp())
            batch = self._get("/athlete/activities", **params)
            if not isinstance(batch, list):
                raise StravaError("unexpected answer to the activity list")
            if batch:
                yield batch
            if len(batch) < PAGE_SIZE:
                return
            page += 1

    def detail(self, activity_id: int) -> dict[str, Any]:
        """GET /activities/{id}: the DetailedActivity (with laps on current API versions)."""
        return check_detail(self._get("/activities/{id}", id=activity_id), activity_id)

    def laps(self, activity_id: int) -> list[dict[str, Any]]:
        """GET /activities/{id}/laps."""
        payload = self._get("/activities/{id}/laps", id=activity_id)
        if not isinstance(payload, list):
            raise BadPayload(f"activity {activity_id}: Strava sent laps that are not a list")
        return payload

    def streams(self, activity_id: int) -> Any:
        """GET /activities/{id}/streams, keyed by type; an empty dict when there are none."""
        try:
            return self._get(
                "/activities/{id}/streams",
                id=activity_id,
                keys=",".join(STREAM_KEYS),
                key_by_type="true",
            )
        except NotFound:
            return {}

    def _get(self, path: str, **params: Any) -> Any:
        if not self.rate.can_afford(1):
            raise self.limited("stopped before the rate limit")
        self._refresh_if_due()
        return self._retrying(lambda: self._client.protocol.get(path, **params))

    def _retrying(self, call: Callable[[], Any]) -> Any:
        retrying = Retrying(
            stop=stop_after_attempt(RETRY_ATTEMPTS),
            wait=wait_exponential(multiplier=RETRY_WAIT_S, max=60),
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt, _translated(self):
                    return call()
        except _Transient as exc:
            raise NetworkFailure(f"{exc} (after {RETRY_ATTEMPTS} attempts)") from None
        return None  # unreachable: Retrying either returns or raises

    def _refresh_if_due(self) -> None:
        if self.tokens.expires_at - time.time() > REFRESH_MARGIN_S:
            return
        creds = self._credentials
        if creds is None or not creds.client_secret:
            raise TokenRejected("the access token expired and STRAVA_CLIENT_SECRET is not set")
        access = self._retrying(
            lambda: self._client.refresh_access_token(
                client_id=_int_id(creds),
                client_secret=creds.client_secret or "",
                refresh_token=self.tokens.refresh_token,
            )
        )
        self.tokens = replace(
            self.tokens,
            access_token=access["access_token"],
            refresh_token=access["refresh_token"],
            expires_at=int(access["expires_at"]),
        )
        self._on_tokens(self.tokens)

    def limited(self, what: str) -> RateLimited:
        resume = self.rate.resume_after(dt.datetime.now(dt.UTC).replace(tzinfo=None))
        return RateLimited(resume, f"{what} ({self.rate.describe()})")


@contextmanager
def _translated(api: StravaApi | None = None) -> Iterator[None]:
    """stravalib and requests errors as this module's one-line errors."""
    try:
        yield
    except strava_exc.AccessUnauthorized as exc:
        raise TokenRejected("Strava refused the token (expired or revoked)") from exc
    except strava_exc.ApplicationInactive as exc:
        raise AppInactive("Strava answered 403 Inactive") from exc
    except strava_exc.ObjectNotFound as exc:
        raise NotFound("not found") from exc
    except strava_exc.Fault as exc:
        raise _fault(exc, api) from exc
    except (
        requests.ConnectionError,
        requests.Timeout,
        requests.exceptions.ChunkedEncodingError,  # the body was cut short
        requests.exceptions.ContentDecodingError,
    ) as exc:
        raise _Transient(f"network error: {type(exc).__name__}") from exc
    except requests.JSONDecodeError as exc:
        raise StravaError("Strava sent something that is not JSON") from exc


def _fault(exc: strava_exc.Fault, api: StravaApi | None) -> Exception:
    """An HTTP error status as the matching error."""
    status = exc.response.status_code if exc.response is not None else 0
    if status == 429 and api is not None:
        return api.limited("Strava answered 429 Too Many Requests")
    if status >= 500:
        return _Transient(f"Strava server error {status}")
    if status in (400, 401) and exc.response is not None and "/oauth/" in exc.response.url:
        return TokenRejected("Strava refused the refresh token (access revoked?)")
    return StravaError(f"Strava answered {status}")


@contextmanager
def _quiet_stravalib() -> Iterator[None]:
    """Silence stravalib's setup warnings about env vars (they would reach cron's mail)."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


def _int_id(credentials: AppCredentials) -> int:
    try:
        return int(credentials.client_id)
    except ValueError:
        raise StravaError(f"client id {credentials.client_id!r} is not a number") from None


# -- payloads -> Session ----------------------------------------------------------


def fingerprint(summary: dict[str, Any]) -> str:
    """A short hash of the summary fields whose change means the activity was edited."""
    values = [summary.get(name) for name in FINGERPRINT_FIELDS]
    return hashlib.sha1(json.dumps(values, default=str).encode()).hexdigest()[:16]


def check_detail(payload: Any, activity_id: int) -> dict[str, Any]:
    """The detail if it is one activity with a readable start; BadPayload otherwise."""
    # {"id": 99895560, "start_date": "2013-12-12T19:36:41Z", "type": "Run", ...}
    if not isinstance(payload, dict):
        kind = type(payload).__name__
        raise BadPayload(f"activity {activity_id}: Strava sent a {kind}, not an activity")
    if not _readable_time(payload.get("start_date")):
        raise BadPayload(f"activity {activity_id}: the detail has no readable start_date")
    if str(payload.get("id")) != str(activity_id):
        raise BadPayload(f"activity {activity_id}: Strava sent activity {payload.get('id')}")
    return payload


def _readable_time(value: Any) -> bool:
    try:
        return isinstance(value, str) and isinstance(parse_time(value), dt.datetime)
    except ValueError:
        return False


def needs_laps_request(detail: dict[str, Any]) -> bool:
    """Old API answers carry no `laps` in the detail; current ones do (saving a request)."""
    return "laps" not in detail


def needs_streams_request(detail: dict[str, Any]) -> bool:
    """Manual activities have no streams."""
    return not detail.get("manual", False)


def upload_from_payloads(
    detail: dict[str, Any], laps: list[dict[str, Any]], streams: Any, summary_fp: str
) -> Upload:
    """One Strava activity as a store upload; raw_json is the detail plus laps and streams."""
    session = session_from_payloads(detail, laps, streams)
    raw = {**detail, "laps": laps, "streams": streams, "_fingerprint": summary_fp}
    return Upload(
        source=SOURCE,
        source_id=str(detail["id"]),
        session=session,
        device=_text(detail.get("device_name")),
        raw_json=raw,
        decoder="strava-api",
    )


def session_from_payloads(
    detail: dict[str, Any], laps: list[dict[str, Any]], streams: Any
) -> Session:
    """A DetailedActivity, its laps and streams as the common Session shape."""
    # {"id": 99895560, "type": "Run", "sport_type": "Run", "start_date": "2013-12-12T19:36:41Z",
    #  "start_date_local": "2013-12-12T11:36:41Z", "timezone": "(GMT-08:00) America/Los_Angeles",
    #  "utc_offset": -28800, "distance": 5781.1, "elapsed_time": 3140, "moving_time": 2892,
    #  "average_speed": 2.0, "max_speed": 8.3, "average_heartrate": 140.2, "calories": 537.9, ...}
    start = parse_time(detail["start_date"])
    sport, sub_sport = sport_of(detail)
    foot = sport in steps_per_minute_sports()
    cadence = _num(detail.get("average_cadence"))
    return Session(
        index=0,
        sport=sport,
        sub_sport=sub_sport,
        start_utc=start,
        utc_offset_s=utc_offset(detail, start),
        utc_offset_source=SOURCE,
        elapsed_s=_num(detail.get("elapsed_time")),
        timer_s=_num(detail.get("moving_time")),
        distance_m=_num(detail.get("distance")),
        avg_hr=_num(detail.get("average_heartrate")),
        max_hr=_num(detail.get("max_heartrate")),
        avg_speed_mps=_num(detail.get("average_speed")),
        max_speed_mps=_num(detail.get("max_speed")),
        avg_cadence_spm=cadence * 2 if cadence is not None and foot else cadence,
        avg_power_w=_num(detail.get("average_watts")),
        total_ascent_m=_num(detail.get("total_elevation_gain")),
        calories=_num(detail.get("calories")),
        summary={k: v for k, v in detail.items() if not isinstance(v, list | dict)},
        laps=laps_frame(laps),
        samples=samples_frame(streams, start, foot),
    )


def parse_time(text: str) -> dt.datetime:
    """Strava's ISO time ('2013-12-12T19:36:41Z') as naive UTC."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def utc_offset(detail: dict[str, Any], start_utc: dt.datetime) -> int:
    """Local offset in s: `utc_offset`, else local minus UTC start, else the named zone."""
    offset = detail.get("utc_offset")
    if isinstance(offset, int | float) and not isinstance(offset, bool):
        return int(offset)
    local = detail.get("start_date_local")
    if isinstance(local, str):
        return round((parse_time(local) - start_utc).total_seconds() / 900) * 900
    return _zone_offset(detail.get("timezone"), start_utc)


def _zone_offset(label: Any, start_utc: dt.datetime) -> int:
    # "(GMT-08:00) America/Los_Angeles"
    if not isinstance(label, str):
        return 0
    try:
        zone = ZoneInfo(label.split(")")[-1].strip())
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    delta = start_utc.replace(tzinfo=dt.UTC).astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta else 0


# Strava sport_type -> (FIT-style sport, sub_sport), so reports group sources alike.
_SPORTS: dict[str, tuple[str, str | None]] = {
    "Run": ("running", None),
    "TrailRun": ("running", "trail"),
    "VirtualRun": ("running", "virtual_activity"),
    "Walk": ("walking", None),
    "Hike": ("hiking", None),
    "Ride": ("cycling", None),
    "VirtualRide": ("cycling", "virtual_activity"),
    "MountainBikeRide": ("cycling", "mountain"),
    "GravelRide": ("cycling", "gravel_cycling"),
    "EBikeRide": ("cycling", "e_bike_fitness"),
    "Swim": ("swimming", None),
    "NordicSki": ("cross_country_skiing", None),
    "BackcountrySki": ("cross_country_skiing", "backcountry"),
    "RollerSki": ("cross_country_skiing", "roller_skiing"),
    "AlpineSki": ("alpine_skiing", None),
    "WeightTraining": ("training", "strength_training"),
    "Workout": ("training", None),
    "Crossfit": ("training", "cardio_training"),
    "Yoga": ("training", "yoga"),
    "Elliptical": ("fitness_equipment", "elliptical"),
    "StairStepper": ("fitness_equipment", "stair_climbing"),
    "Rowing": ("rowing", None),
}


def sport_of(detail: dict[str, Any]) -> tuple[str, str | None]:
    """(sport, sub_sport) of an activity; a treadmill run is running/treadmill."""
    kind = str(detail.get("sport_type") or detail.get("type") or "")
    sport, sub = _SPORTS.get(kind, (_snake(kind) or "generic", None))
    if sport == "running" and sub is None and detail.get("trainer"):
        sub = "treadmill"
    return sport, sub


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def stream_data(streams: Any) -> dict[str, list[Any]]:
    """Streams in either API form as {type: values}."""
    # key_by_type: {"time": {"data": [0, 1, ...], "series_type": "distance", ...}, ...}
    # native list: [{"type": "time", "data": [0, 1, ...], "series_type": "distance"}, ...]
    if isinstance(streams, dict):
        items = [(k, v) for k, v in streams.items()]
    elif isinstance(streams, list):
        items = [(s.get("type"), s) for s in streams if isinstance(s, dict)]
    else:
        return {}
    return {
        str(kind): list(value["data"])
        for kind, value in items
        if isinstance(value, dict) and isinstance(value.get("data"), list)
    }


def samples_frame(streams: Any, start_utc: dt.datetime, foot: bool) -> pl.DataFrame:
    """Streams as samples in SAMPLE_SCHEMA (cadence doubled to steps/min for foot sports)."""
    data = stream_data(streams)
    times = data.get("time") or []
    if not times:
        return pl.DataFrame(schema=SAMPLE_SCHEMA)
    size = len(times)

    def column(kind: str) -> pl.Series:
        values = data.get(kind)
        if values is None or len(values) != size:
            values = [None] * size
        return pl.Series(kind, values, dtype=pl.Float64, strict=False)

    latlng = data.get("latlng") or []
    points = latlng if len(latlng) == size else [None] * size
    start_ms = int(start_utc.replace(tzinfo=dt.UTC).timestamp() * 1000)
    cadence = column("cadence")
    frame = pl.DataFrame(
        {
            "t": column("time") * 1000 + start_ms,
            "distance_m": column("distance"),
            "speed_mps": column("velocity_smooth"),
            "heart_rate": column("heartrate"),
            "cadence_spm": cadence * 2 if foot else cadence,
            "altitude_m": column("altitude"),
            "power_w": column("watts"),
            "lat": pl.Series([_coord(p, 0) for p in points], dtype=pl.Float64),
            "lon": pl.Series([_coord(p, 1) for p in points], dtype=pl.Float64),
        }
    )
    frame = frame.filter(pl.col("t").is_not_null()).with_columns(
        pl.from_epoch(pl.col("t").round().cast(pl.Int64), time_unit="ms").alias("t")
    )
    frame = frame.unique(subset="t", keep="first", maintain_order=True).sort("t")
    return frame.cast(SAMPLE_SCHEMA)  # type: ignore[arg-type]


def _coord(point: Any, index: int) -> float | None:
    if isinstance(point, list | tuple) and len(point) == 2:
        return _num(point[index])
    return None


def laps_frame(laps: list[dict[str, Any]]) -> pl.DataFrame:
    """Strava Lap objects as LAP_SCHEMA rows (cadence as sent, like FIT laps)."""
    # {"id": 429913783, "name": "Lap 1", "elapsed_time": 6219, "moving_time": 5118,
    #  "start_date": "2013-09-28T17:27:59Z", "distance": 25109.4, "average_speed": 4.0,
    #  "max_speed": 8.9, "average_watts": 70.0, "lap_index": 1, ...}
    rows = []
    for index, lap in enumerate(laps or []):
        if not isinstance(lap, dict) or not isinstance(lap.get("start_date"), str):
            continue
        start = parse_time(lap["start_date"])
        elapsed = _num(lap.get("elapsed_time")) or 0.0
        rows.append(
            {
                "lap_index": index,
                "start_utc": start,
                "end_utc": start + dt.timedelta(seconds=elapsed),
                "elapsed_s": elapsed,
                "timer_s": _num(lap.get("moving_time")),
                "distance_m": _num(lap.get("distance")),
                "avg_speed_mps": _num(lap.get("average_speed")),
                "max_speed_mps": _num(lap.get("max_speed")),
                "avg_hr": _num(lap.get("average_heartrate")),
                "max_hr": _num(lap.get("max_heartrate")),
                "avg_cadence": _num(lap.get("average_cadence")),
                "avg_power_w": _num(lap.get("average_watts")),
                "intensity": None,
                "lap_trigger": None,
                "wkt_step_index": None,
            }
        )
    return pl.DataFrame(rows, schema=LAP_SCHEMA)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if number == number and abs(number) != float("inf") else None


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
