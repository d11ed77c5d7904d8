"""Garmin Connect through `garminconnect` (pinned): sign-in, activities, originals, physiology.

No database access here: functions take a signed-in `Garmin` client and return
payloads, FIT bytes, store uploads and dated threshold rows. The client's
private names (`_sso`, `_connectapi`, `_http_post`, `DI_TOKEN_URL`) are used to
point it at another server (tests run a fake one), which is why the version is
pinned in pyproject.toml.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import logging
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from garminconnect import (  # type: ignore[import-untyped]
    Garmin,
    GarminConnectAuthenticationError,
    GarminConnectConnectionError,
    GarminConnectTooManyRequestsError,
)
from garminconnect import client as garmin_client

from terskel.sources.files import MAX_FIT_BYTES, TooLarge, read_capped
from terskel.sources.fit import FitFile, uploads
from terskel.sources.garmin_physiology import Physiology
from terskel.sources.garmin_physiology import threshold_rows as threshold_rows  # re-exported
from terskel.sources.model import Upload

T = TypeVar("T")

# The file garminconnect reads and writes inside a token directory.
TOKEN_FILE = "garmin_tokens.json"
PAGE_SIZE = 20  # activities per list request (what Garmin's web app asks for)
_STATUS = re.compile(r"API Error (\d{3})")


class GarminError(Exception):
    """Garmin Connect refused or failed a request; the message is one line for the user."""


class GarminAuthError(GarminError):
    """No usable login: missing or expired tokens, a wrong password or MFA code."""


class GarminRateLimited(GarminError):
    """Garmin answered 429 Too Many Requests."""


class GarminDownloadError(GarminError):
    """An ORIGINAL download that is not a readable zip."""


class NoFitFile(GarminError):
    """The activity's original file is not a FIT file (a GPX/TCX upload, a manual entry)."""


@dataclass(frozen=True)
class Endpoints:
    """Where the client sends requests: Garmin's servers, or a fake one in tests."""

    sso: str = "https://sso.garmin.com"
    connect: str = "https://connect.garmin.com"
    api: str = "https://connectapi.garmin.com"
    di_token: str = garmin_client.DI_TOKEN_URL


# Read at call time, so tests can point every new client at a local server.
ENDPOINTS = Endpoints()


# -- clients and sign-in --------------------------------------------------------


def new_client(
    email: str | None = None,
    password: str | None = None,
    prompt_mfa: Callable[[], str] | None = None,
    endpoints: Endpoints | None = None,
) -> Garmin:
    """A `Garmin` client aimed at `endpoints` (default: Garmin Connect), quiet in the logs."""
    _quiet_library_logs()
    garmin = Garmin(email, password, prompt_mfa=prompt_mfa)
    _point_at(garmin, endpoints or ENDPOINTS)
    return garmin


def _point_at(garmin: Garmin, endpoints: Endpoints) -> None:
    """Send the SSO, API and token-exchange requests of one client to `endpoints`."""
    client = garmin.client
    client._sso = endpoints.sso
    client._connect = endpoints.connect
    client._connectapi = endpoints.api
    if endpoints.di_token == garmin_client.DI_TOKEN_URL:
        return
    post = client._http_post

    def redirected(url: str, **kwargs: Any) -> Any:
        target = endpoints.di_token if url == garmin_client.DI_TOKEN_URL else url
        return post(target, **kwargs)

    client._http_post = redirected


def _quiet_library_logs() -> None:
    """Keep garminconnect's tracebacks (logger.exception) off the terminal and out of cron mail."""
    logger = logging.getLogger("garminconnect")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


def sign_in(
    email: str,
    password: str,
    prompt_mfa: Callable[[], str],
    endpoints: Endpoints | None = None,
) -> Garmin:
    """Log in with email and password (asking for an MFA code when Garmin wants one)."""
    garmin = new_client(email, password, prompt_mfa, endpoints)
    _call(garmin.client.login, email, password, prompt_mfa=prompt_mfa)
    _call(garmin.connectapi, "/userprofile-service/socialProfile")  # the tokens work
    return garmin


def resume(token_dir: Path, endpoints: Endpoints | None = None) -> Garmin:
    """Log in with the saved tokens (refreshing them when due); never asks for a password."""
    if not (token_dir / TOKEN_FILE).is_file():
        raise GarminAuthError("not signed in to Garmin Connect (no saved login)")
    garmin = new_client(endpoints=endpoints)
    try:
        _call(garmin.login, str(token_dir))
    except GarminAuthError as exc:
        raise GarminAuthError(f"the saved Garmin login no longer works ({exc})") from exc
    keep_tokens(garmin, token_dir)
    return garmin


def save_tokens(garmin: Garmin, token_dir: Path) -> Path:
    """Write the client's tokens to `token_dir` (0700) as a 0600 file, atomically."""
    token_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    token_dir.chmod(0o700)
    path = token_dir / TOKEN_FILE
    partial = token_dir / f".{TOKEN_FILE}.partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(garmin.client.dumps())
    partial.chmod(0o600)
    partial.replace(path)
    return path


def keep_tokens(garmin: Garmin, token_dir: Path) -> None:
    """Save the tokens again when the client refreshed them since they were read."""
    path = token_dir / TOKEN_FILE
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = None
    if saved != json.loads(garmin.client.dumps()) or path.stat().st_mode & 0o077:
        save_tokens(garmin, token_dir)


# -- activities -------------------------------------------------------------------


def activity_pages(
    garmin: Garmin, since: dt.date, page_size: int = PAGE_SIZE
) -> Iterator[list[dict[str, Any]]]:
    """Activity summaries started on or after `since`, oldest first, one page at a time."""
    # [{"activityId": 21482825013, "activityName": "Cuajimalpa de Morelos Trail Running",
    #   "startTimeLocal": "2026-01-08 08:10:21", "startTimeGMT": "2026-01-08 14:10:21",
    #   "activityType": {"typeKey": "trail_running", ...}, "distance": 6093.4,
    #   "duration": 2223.3, "manualActivity": false, ...}, ...]
    start = 0
    while True:
        params = {
            "startDate": since.isoformat(),
            "start": str(start),
            "limit": str(page_size),
            "sortOrder": "asc",  # oldest first: a stop half-way leaves no gap behind
        }
        page = _call(garmin.connectapi, garmin.garmin_connect_activities, params=params)
        if not isinstance(page, list) or not page:
            return
        yield page
        if len(page) < page_size:
            return
        start += page_size


def activity_summary(garmin: Garmin, activity_id: str) -> dict[str, Any]:
    """The activity-service summary of one activity (kept as its raw payload)."""
    # {"activityId": 21482825013, "activityName": "...", "activityTypeDTO": {...},
    #  "timeZoneUnitDTO": {"timeZone": "America/Mexico_City", ...},
    #  "metadataDTO": {"manualActivity": false, "fileFormat": {"formatKey": "fit"}, ...},
    #  "summaryDTO": {"startTimeGMT": "2026-01-08T14:10:21.0", "distance": 6093.4, ...}}
    summary = _call(garmin.get_activity, activity_id)
    if not isinstance(summary, dict):
        raise GarminError(f"activity {activity_id}: unexpected summary payload")
    return summary


def original_fit(garmin: Garmin, activity_id: str) -> bytes:
    """The FIT file of an activity, from its ORIGINAL download (a zip, opened in memory)."""
    fmt = Garmin.ActivityDownloadFormat.ORIGINAL
    data = _call(garmin.download_activity, activity_id, dl_fmt=fmt)
    return fit_from_zip(bytes(data), activity_id)


def fit_from_zip(data: bytes, activity_id: str) -> bytes:
    """The .fit member of an ORIGINAL zip (`<id>_ACTIVITY.fit`, or `<id>.fit` in older ones)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            fits = [n for n in names if n.lower().endswith(".fit")]
            if not fits:
                found = ", ".join(names) or "nothing"
                raise NoFitFile(f"original file is not a FIT file ({found})")
            # streamed and capped: a zip bomb stops at MAX_FIT_BYTES, never lands whole
            with archive.open(fits[0]) as member:
                return read_capped(member, MAX_FIT_BYTES)
    except TooLarge as exc:
        raise GarminDownloadError(f"activity {activity_id}: {exc}") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise GarminDownloadError(f"activity {activity_id}: download is not a zip ({exc})") from exc


def check_whole(fit: FitFile, activity_id: str) -> None:
    """Refuse a download the decoder had to salvage (cut short or damaged in transit).

    A salvaged file stored as the activity would never be downloaded again; as a
    failure it is fetched again on the next sync (and given up after a few tries).
    """
    if fit.warnings:
        raise GarminDownloadError(
            f"activity {activity_id}: download is damaged or cut short ({fit.warnings[0]})"
        )


def to_uploads(
    fit: FitFile, activity_id: str, summary: dict[str, Any], content: bytes
) -> list[Upload]:
    """Store uploads of one Garmin activity: its FIT sessions, the summary as raw JSON."""
    found = uploads(fit, f"garmin:{activity_id}", content)
    return [
        dataclasses.replace(
            upload,
            source="garmin",
            source_id=activity_id if index == 0 else f"{activity_id}:{index}",
            raw_json=summary,
        )
        for index, upload in enumerate(found)
    ]


# -- physiology ---------------------------------------------------------------------


def physiology(garmin: Garmin) -> Physiology:
    """The latest lactate threshold and the heart-rate zone settings, where Garmin has them."""
    lactate = _optional(lambda: garmin.get_lactate_threshold(latest=True))
    zones = _optional(lambda: garmin.connectapi("/biometric-service/heartRateZones"))
    return Physiology(
        lactate if isinstance(lactate, dict) else None,
        zones if isinstance(zones, list) else None,
    )


# -- errors -------------------------------------------------------------------------


def _call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call garminconnect and turn its exceptions into ours, with one-line messages."""
    try:
        return function(*args, **kwargs)
    except GarminConnectTooManyRequestsError as exc:
        raise GarminRateLimited("Garmin Connect rate limit (429)") from exc
    except GarminConnectAuthenticationError as exc:
        raise _by_status(exc, GarminAuthError) from exc
    except GarminConnectConnectionError as exc:
        raise _by_status(exc, GarminError) from exc


def _by_status(exc: BaseException, default: type[GarminError]) -> GarminError:
    """Our error for a library error, by the HTTP status somewhere in its chain."""
    status = _status_in(exc)
    if status == 429:
        return GarminRateLimited("Garmin Connect rate limit (429)")
    if status == 401 or (status == 403 and default is GarminAuthError):
        return GarminAuthError(f"Garmin Connect refused the login (HTTP {status})")
    if status is None and _is_network(exc):
        return GarminError(f"cannot reach Garmin Connect ({_one_line(exc)})")
    return default(_one_line(exc))


def _status_in(exc: BaseException | None) -> int | None:
    """The HTTP status named in an exception or its causes ('API Error 429 - ...')."""
    while exc is not None:
        found = _STATUS.search(str(exc))
        if found:
            return int(found.group(1))
        exc = exc.__cause__ or exc.__context__
    return None


def _is_network(exc: BaseException | None) -> bool:
    """True when the chain holds a connection or timeout error (no answer at all)."""
    while exc is not None:
        name = type(exc).__name__
        if name in ("ConnectionError", "ConnectTimeout", "ReadTimeout", "Timeout"):
            return True
        if "Connection error" in str(exc) or "Failed to connect" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _one_line(exc: BaseException) -> str:
    """The first line of an exception's message (garminconnect's can span lines)."""
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _optional(fetch: Callable[[], T]) -> T | None:
    """A payload that may be missing: None on a refusal or an odd shape; 429 and 401 still stop."""
    try:
        return _call(fetch)
    except (GarminRateLimited, GarminAuthError):
        raise
    except (GarminError, AttributeError, KeyError, TypeError, ValueError):
        return None
