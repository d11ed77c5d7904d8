"""Strava connector: list activities, fetch the new or edited ones, save each at once."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any, TypeVar

from terskel.config import STRAVA_TOKEN_FILE, Settings
from terskel.sources.strava import (
    ACTIVITY_REQUESTS,
    SOURCE,
    AppInactive,
    NetworkFailure,
    NotFound,
    RateLimited,
    StravaApi,
    StravaError,
    TokenRejected,
    app_credentials,
    fingerprint,
    load_tokens,
    needs_laps_request,
    needs_streams_request,
    save_tokens,
    upload_from_payloads,
)
from terskel.store import Store, Upload
from terskel.store.strava_state import stored_fingerprints
from terskel.sync import AuthRequired, SourceReport, SourceUnavailable, SyncOptions

INACTIVE_HINT = (
    'Strava answers 403 "Inactive": its API now serves only apps whose owner has an '
    "active Strava subscription (subscribe, then reactivate the app at "
    "https://www.strava.com/settings/api); without one, download your archive "
    "(strava.com > Settings > My Account > Download or Delete Your Account) and run "
    "`terskel import export_XXXX.zip`"
)

T = TypeVar("T")


def sync(
    store: Store, settings: Settings, options: SyncOptions, progress: Callable[[str], None]
) -> SourceReport:
    """Fetch new and edited Strava activities (all with --full) and save them one by one."""
    api = _open_api(settings, options)
    report = SourceReport(SOURCE)
    try:
        _sync(store, api, settings, options, progress, report)
    except TokenRejected as exc:
        raise AuthRequired(SOURCE, str(exc)) from None
    except AppInactive:
        raise SourceUnavailable(INACTIVE_HINT) from None
    except RateLimited as exc:
        report.status, report.resume_after = "partial", exc.resume_after
        report.message = f"{exc}; everything fetched so far is saved"
    except (NetworkFailure, StravaError) as exc:
        report.status, report.message = "failed", f"{exc}; everything fetched so far is saved"
    return report


def _open_api(settings: Settings, options: SyncOptions) -> StravaApi:
    """An API client from the token file; AuthRequired when there is none."""
    path = options.secrets_dir / STRAVA_TOKEN_FILE
    try:
        tokens = load_tokens(path)
    except TokenRejected as exc:
        raise AuthRequired(SOURCE, str(exc)) from None
    if tokens is None:
        raise AuthRequired(SOURCE, "not signed in")
    credentials = app_credentials(settings.strava.client_id, tokens)
    return StravaApi(tokens, credentials, lambda fresh: save_tokens(path, fresh))


def _sync(
    store: Store,
    api: StravaApi,
    settings: Settings,
    options: SyncOptions,
    progress: Callable[[str], None],
    report: SourceReport,
) -> None:
    """List, mark deletions (--full), then fetch and save what changed, oldest first."""
    after = _since(store, settings, options)
    summaries = _waiting(options, api, progress, lambda: _list(api, after))
    listed = [str(s["id"]) for s in summaries]
    if options.full:
        gone = sorted(store.source_ids(SOURCE) - set(listed))
        report.deleted = store.mark_deleted(SOURCE, gone)
    stored = stored_fingerprints(store, SOURCE, listed)
    for summary in summaries:
        if stored.get(str(summary["id"])) == fingerprint(summary):
            continue  # unchanged since it was fetched: costs no request
        upload = _fetch_one(api, options, progress, summary, report)
        if upload is not None:
            _save(store, upload, report, progress)
    report.status = "partial" if report.failed else "ok"


def _since(store: Store, settings: Settings, options: SyncOptions) -> dt.datetime | None:
    """List activities after the newest stored one minus the look-back (None: all)."""
    newest = None if options.full else store.newest_start(SOURCE)
    if newest is None:
        return None
    return newest - dt.timedelta(days=settings.strava.lookback_days)


def _list(api: StravaApi, after: dt.datetime | None) -> list[dict[str, Any]]:
    """Every summary after `after`, oldest first (so a stop leaves no gap behind)."""
    summaries = [s for page in api.activity_pages(after) for s in page if "id" in s]
    return sorted(summaries, key=lambda s: str(s.get("start_date", "")))


def _fetch_one(
    api: StravaApi,
    options: SyncOptions,
    progress: Callable[[str], None],
    summary: dict[str, Any],
    report: SourceReport,
) -> Upload | None:
    """Detail, laps and streams of one activity as an upload; None when it failed."""
    activity_id = int(summary["id"])
    try:
        return _waiting(options, api, progress, lambda: _payloads(api, summary))
    except NotFound:
        return None  # deleted upstream since it was listed
    except (TokenRejected, AppInactive, RateLimited, NetworkFailure):
        raise
    except (StravaError, KeyError, TypeError, ValueError) as exc:
        report.failed.append((f"activity {activity_id}", _one_line(exc)))
        return None


def _payloads(api: StravaApi, summary: dict[str, Any]) -> Upload:
    """Fetch one activity's payloads once the rate budget allows all of them."""
    if not api.rate.can_afford(ACTIVITY_REQUESTS):
        raise api.limited("stopped before the rate limit")
    activity_id = int(summary["id"])
    detail = api.detail(activity_id)
    laps = api.laps(activity_id) if needs_laps_request(detail) else detail.get("laps") or []
    streams = api.streams(activity_id) if needs_streams_request(detail) else {}
    return upload_from_payloads(detail, laps, streams, fingerprint(summary))


def _waiting(
    options: SyncOptions, api: StravaApi, progress: Callable[[str], None], call: Callable[[], T]
) -> T:
    """Run `call`; with --wait, sleep through rate-limit windows and try again."""
    while True:
        try:
            return call()
        except RateLimited as exc:
            if not options.wait:
                raise
            progress(f"rate limit: waiting until {exc.resume_after:%H:%M} UTC")
            sleep_until(exc.resume_after)
            api.rate.rates = None  # the window has reset; the next answer tells the truth


def _save(
    store: Store, upload: Upload, report: SourceReport, progress: Callable[[str], None]
) -> None:
    """Save one activity in its own transaction (progress survives any stop)."""
    outcome = store.save_uploads([upload])[0]
    report.activity_ids.append(outcome.activity_id)
    if outcome.status == "imported":
        report.new += 1
    else:
        report.updated += 1
    start = upload.session.start_utc
    progress(f"strava {upload.source_id} ({start:%Y-%m-%d}): {outcome.status}")


def sleep_until(moment: dt.datetime) -> None:
    """Sleep until `moment` (naive UTC), plus a few seconds for clock skew."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    time.sleep(max(0.0, (moment - now).total_seconds()) + 5)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["sync"]
