"""`terskel auth strava`: OAuth sign-in; the tokens go to a 0600 file, never the config."""

from __future__ import annotations

import os
import sys
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from terskel.cli.common import EXIT_AUTH, EXIT_USAGE, AppState, err, fail, out, settings_of
from terskel.cli.sync import auth_app

if TYPE_CHECKING:  # stravalib takes a second to import: only `auth strava` pays for it
    from terskel.sources import strava

BROWSER_WAIT_S = 300.0
HEADLESS_REDIRECT = "http://127.0.0.1/authorized"
STATE_FILE = "strava-oauth-state.json"  # the state of the last sign-in address (0600)


def _stdin_is_tty() -> bool:
    """True when a person can answer prompts (never under cron or a pipe)."""
    return sys.stdin.isatty()


def _has_browser() -> bool:
    """True when a local browser can be opened (not over SSH without a display)."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


@auth_app.command("strava")
def auth_strava(
    ctx: typer.Context,
    code: Annotated[
        str | None,
        typer.Option(
            "--code",
            help="The whole address Strava redirected to, to finish a sign-in started "
            "earlier on this machine (no prompt is shown; a bare code is refused, as its "
            "state cannot be checked).",
        ),
    ] = None,
    no_browser: Annotated[
        bool,
        typer.Option(
            "--no-browser", help="Print the sign-in address instead of opening a browser."
        ),
    ] = False,
) -> None:
    """Sign in to Strava (scope activity:read_all); saves the tokens to a 0600 file.

    The API app's client id comes from STRAVA_CLIENT_ID or `\\[strava] client_id`,
    its secret from STRAVA_CLIENT_SECRET (asked for in a terminal when unset).

    Each sign-in address carries a random state, kept (0600) beside the tokens;
    only the first answer with that state is accepted. Without a terminal the
    address is printed: open it anywhere, then within an hour run
    `terskel auth strava --code 'ADDRESS YOU LANDED ON'` on this machine.
    """
    from terskel.config import STRAVA_TOKEN_FILE, secrets_dir
    from terskel.sources import strava

    folder = secrets_dir(ctx.ensure_object(AppState).locations)
    path = folder / STRAVA_TOKEN_FILE
    credentials = _credentials(settings_of(ctx).strava.client_id, path)
    try:
        grant = _grant(credentials, code, no_browser, folder / STATE_FILE)
        warning = strava.check_scope(grant.scope)
        tokens = strava.exchange_code(credentials, grant)
    except strava.StravaError as exc:
        fail(f"Strava sign-in failed: {exc}", EXIT_AUTH)
    strava.save_tokens(path, tokens)
    (folder / STATE_FILE).unlink(missing_ok=True)  # the state answered: it is spent
    if warning:
        err.print(f"[yellow]warning[/yellow] {warning}", highlight=False)
    who = f" as athlete {tokens.athlete_id}" if tokens.athlete_id else ""
    out.print(f"Signed in to Strava{who}; tokens saved to {path} (0600)", highlight=False)


def _credentials(config_id: str | None, token_path: Path) -> strava.AppCredentials:
    """Client id and secret from env, config or token file; asked for only in a terminal."""
    from terskel.sources import strava

    try:
        found = strava.app_credentials(config_id, strava.load_tokens(token_path))
    except strava.StravaError:
        found = strava.app_credentials(config_id, None)  # a broken token file is replaced
    client_id = found.client_id if found else None
    secret = found.client_secret if found else None
    if client_id is None and _stdin_is_tty():
        client_id = str(typer.prompt("Strava client id (https://www.strava.com/settings/api)"))
    if client_id is None:
        fail("set STRAVA_CLIENT_ID or [strava] client_id (https://www.strava.com/settings/api)")
    if secret is None and _stdin_is_tty():
        secret = str(typer.prompt("Strava client secret", hide_input=True))
    if not secret:
        fail("set STRAVA_CLIENT_SECRET (the API app's secret) or run this in a terminal")
    return strava.AppCredentials(client_id.strip(), secret.strip())


def _grant(
    credentials: strava.AppCredentials, code: str | None, no_browser: bool, state_file: Path
) -> strava.Grant:
    """The one-time code: from --code, the local redirect catcher, or a pasted address;
    its state checked against the sign-in address this machine made."""
    from terskel.sources import strava

    if code is not None:
        return strava.check_state(strava.parse_redirect(code), strava.pending_state(state_file))
    state = strava.new_state()
    strava.save_pending_state(state_file, state)
    if not _stdin_is_tty():
        url = strava.authorization_url(credentials, HEADLESS_REDIRECT, state)
        err.print(f"Sign in at: {url}", soft_wrap=True, highlight=False)
        fail(
            "no terminal to paste into: open the address above, then run "
            "`terskel auth strava --code 'ADDRESS YOU WERE SENT TO'`",
            EXIT_USAGE,
        )
    if no_browser or not _has_browser():
        return _pasted_grant(credentials, state)
    return _browser_grant(credentials, state)


def _browser_grant(credentials: strava.AppCredentials, state: str) -> strava.Grant:
    """Open the browser and catch Strava's redirect on 127.0.0.1."""
    from terskel.sources import strava

    with strava.RedirectCatcher(state) as catcher:
        url = strava.authorization_url(credentials, catcher.redirect_uri, state)
        out.print("Opening Strava in your browser; if nothing opens, visit:", highlight=False)
        out.print(url, soft_wrap=True, highlight=False)
        webbrowser.open(url)
        grant = catcher.wait(BROWSER_WAIT_S)
    if grant is None:
        fail("no answer from the browser within 5 minutes; try --no-browser", EXIT_AUTH)
    return grant


def _pasted_grant(credentials: strava.AppCredentials, state: str) -> strava.Grant:
    """Print the address; the user signs in anywhere and pastes where they landed."""
    from terskel.sources import strava

    url = strava.authorization_url(credentials, HEADLESS_REDIRECT, state)
    out.print("Open this address in any browser and allow access:", highlight=False)
    out.print(url, soft_wrap=True, highlight=False)
    out.print("The browser then lands on a page that will not load; copy its address.")
    pasted = str(typer.prompt("Paste that whole address"))
    return strava.check_state(strava.parse_redirect(pasted), state)
