"""Signing in to Strava: the authorization address, its `state`, the redirect, the code exchange."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from terskel.sources.strava.client import _int_id, _translated, new_client
from terskel.sources.strava.errors import StravaError
from terskel.sources.strava.tokens import AppCredentials, Tokens

SCOPES: list[Literal["read", "activity:read_all"]] = ["read", "activity:read_all"]


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
