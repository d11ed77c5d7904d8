"""What can go wrong talking to Strava: one exception per kind, one line for the user each."""

from __future__ import annotations

import datetime as dt


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
