"""Strava connector: list activities, fetch the new or edited ones, save each at once."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any, TypeVar

from terskel.config import STRAVA_TOKEN_FILE, Settings
from terskel.jobs.sync import (
    AuthRequired,
    SourceReport,
    SourceUnavailable,
    SyncOptions,
    given_up,
    item_failed,
    retry_queue,
)
from terskel.sources.strava import (
    ACTIVITY_REQUESTS,
    FINGERPRINT_FIELDS,
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

INACTIVE_HINT = (
    'Strava answers 403 "Inactive": its API now serves only apps whose owner has an '
    "active Strava subscription (subscribe, then reactivate the app at "
    "https://www.strava.com/settings/api); without one, download your archive "
    "(strava.com > Settings > My Account > Download or Delete Your Account) and run "
    "`terskel import export_XXXX.zip`"
)

T = TypeVar("T")
# sync_state key: the listing of a run stopped before its last page (resumed next run).
LISTING = "listing"
# Activities in a row whose requests fail after retries: the network is down, stop.
NETWORK_FAILURES_TO_STOP = 3


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
    """Retry what failed before; list, mark deletions (--full), fetch what changed, oldest first."""
    fetch = _Fetcher(store, api, settings, options, progress, report)
    for queued in retry_queue(store, SOURCE, options):
        fetch.one(queued.payload or {"id": queued.item_id})
    summaries = _waiting(options, api, progress, lambda: _list(store, api, settings, options))
    listed = [str(s["id"]) for s in summaries]
    if options.full:
        gone = sorted(store.source_ids(SOURCE) - set(listed))
        report.deleted = store.mark_deleted(SOURCE, gone)
    stored = stored_fingerprints(store, SOURCE, listed)
    passed = given_up(store, SOURCE)
    for summary in summaries:
        activity_id = str(summary["id"])
        if activity_id in fetch.tried or activity_id in passed:
            continue
        if stored.get(activity_id) == fingerprint(summary):
            continue  # unchanged since it was fetched: costs no request
        fetch.one(summary)
    report.status = "partial" if report.failed else "ok"


def _since(store: Store, settings: Settings, options: SyncOptions) -> dt.datetime | None:
    """List activities after the newest stored one minus the look-back (None: all)."""
    newest = None if options.full else store.newest_start(SOURCE)
    if newest is None:
        return None
    return newest - dt.timedelta(days=settings.strava.lookback_days)


def _list(
    store: Store, api: StravaApi, settings: Settings, options: SyncOptions
) -> list[dict[str, Any]]:
    """Every summary to look at, oldest first (so a stop leaves no gap behind).

    Each page is saved as it arrives: a listing stopped half-way (a 429 on page 2)
    resumes on the next run from the first page not read, with the same `after`.
    """
    # sync_state "listing": {"after": "2026-01-01T07:00:00" | null, "next_page": 2,
    #                        "summaries": [{"id": 1, "start_date": "...", ...}, ...]}
    after = _since(store, settings, options)
    saved = store.sync_state(SOURCE, LISTING)
    if saved and (not options.full or saved["after"] is None):
        after = dt.datetime.fromisoformat(saved["after"]) if saved["after"] else None
        page, found = int(saved["next_page"]), {str(s["id"]): s for s in saved["summaries"]}
    else:
        page, found = 1, {}
    for batch in api.activity_pages(after, first_page=page):
        found.update({str(s["id"]): _brief(s) for s in batch if isinstance(s, dict) and "id" in s})
        page += 1
        cursor = {"after": after.isoformat() if after else None, "next_page": page}
        store.set_sync_state(SOURCE, LISTING, {**cursor, "summaries": list(found.values())})
    store.set_sync_state(SOURCE, LISTING, None)
    return sorted(found.values(), key=lambda s: str(s.get("start_date", "")))


def _brief(summary: dict[str, Any]) -> dict[str, Any]:
    """What a summary is needed for later: its id and the fingerprinted fields."""
    return {k: summary.get(k) for k in ("id", *FINGERPRINT_FIELDS)}


class _Fetcher:
    """Fetches and saves one activity at a time; failures go to the retry queue."""

    def __init__(
        self,
        store: Store,
        api: StravaApi,
        settings: Settings,
        options: SyncOptions,
        progress: Callable[[str], None],
        report: SourceReport,
    ) -> None:
        self.store, self.api, self.settings = store, api, settings
        self.options, self.progress, self.report = options, progress, report
        self.tried: set[str] = set()
        self.network_failures = 0  # in a row: the network is down, not one activity bad

    def one(self, summary: dict[str, Any]) -> None:
        """Fetch and save one activity; a failure is reported and queued, the sync goes on."""
        activity_id = str(summary["id"])
        self.tried.add(activity_id)
        try:
            upload = _waiting(
                self.options, self.api, self.progress, lambda: _payloads(self.api, summary)
            )
        except NotFound:
            self.store.item_done(SOURCE, activity_id)  # deleted upstream since it was listed
            return
        except (TokenRejected, AppInactive, RateLimited):
            raise
        except NetworkFailure as exc:
            self._failed(summary, _one_line(exc))
            self.network_failures += 1
            if self.network_failures >= NETWORK_FAILURES_TO_STOP:
                raise
            return
        except (StravaError, KeyError, TypeError, ValueError, AttributeError) as exc:
            self._failed(summary, _one_line(exc))
            return
        self.network_failures = 0
        _save(self.store, upload, self.report, self.progress)
        self.store.item_done(SOURCE, activity_id)

    def _failed(self, summary: dict[str, Any], reason: str) -> None:
        activity_id = str(summary["id"])
        item = (activity_id, f"activity {activity_id}")
        item_failed(self.store, self.settings, self.report, item, reason, _brief(summary))


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
