"""The OAuth grant kept on disk (a 0600 token file) and the API application's credentials."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from terskel.sources.strava.errors import TokenRejected


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
