"""Strava API v3: OAuth sign-in, a stravalib client that yields raw payloads, and the
mapping of those payloads to Sessions. No database access here, nothing printed.

One module per concept: `errors`, `tokens` (the grant on disk), `oauth` (signing
in), `callback` (the local server that catches the redirect), `client` (the API,
its rate limit and retries) and `payloads` (Strava's JSON as Sessions and uploads).
This package exposes what the connector, the CLI and the tests use.
"""

from terskel.sources.strava.callback import RedirectCatcher
from terskel.sources.strava.client import ACTIVITY_REQUESTS, StravaApi
from terskel.sources.strava.errors import (
    AppInactive,
    NetworkFailure,
    NotFound,
    RateLimited,
    StravaError,
    TokenRejected,
)
from terskel.sources.strava.oauth import (
    STATE_TTL_S,
    Grant,
    authorization_url,
    check_scope,
    check_state,
    exchange_code,
    new_state,
    parse_redirect,
    pending_state,
    save_pending_state,
)
from terskel.sources.strava.payloads import (
    FINGERPRINT_FIELDS,
    SOURCE,
    fingerprint,
    laps_frame,
    needs_laps_request,
    needs_streams_request,
    parse_time,
    session_from_payloads,
    sport_of,
    upload_from_payloads,
    utc_offset,
)
from terskel.sources.strava.tokens import (
    AppCredentials,
    Tokens,
    app_credentials,
    load_tokens,
    save_tokens,
)

__all__ = [
    "ACTIVITY_REQUESTS",
    "FINGERPRINT_FIELDS",
    "SOURCE",
    "STATE_TTL_S",
    "AppCredentials",
    "AppInactive",
    "Grant",
    "NetworkFailure",
    "NotFound",
    "RateLimited",
    "RedirectCatcher",
    "StravaApi",
    "StravaError",
    "TokenRejected",
    "Tokens",
    "app_credentials",
    "authorization_url",
    "check_scope",
    "check_state",
    "exchange_code",
    "fingerprint",
    "laps_frame",
    "load_tokens",
    "needs_laps_request",
    "needs_streams_request",
    "new_state",
    "parse_redirect",
    "parse_time",
    "pending_state",
    "save_pending_state",
    "save_tokens",
    "session_from_payloads",
    "sport_of",
    "upload_from_payloads",
    "utc_offset",
]
