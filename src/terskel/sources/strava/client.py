"""The Strava API client: a stravalib client that yields raw payloads, within the rate limit.

It uses stravalib's protocol object for every request (its error types, token
endpoint and rate-limit header parsing) but asks for plain JSON, so the raw
payloads can be kept as Strava sent them. It refreshes and saves tokens itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import requests
from stravalib import exc as strava_exc
from stravalib.client import Client
from stravalib.util.limiter import RateLimiter, RequestRate, get_rates_from_response_headers
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from terskel.sources.strava.errors import (
    AppInactive,
    BadPayload,
    NetworkFailure,
    NotFound,
    RateLimited,
    StravaError,
    TokenRejected,
    _Transient,
)
from terskel.sources.strava.payloads import check_detail
from terskel.sources.strava.tokens import AppCredentials, Tokens

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
