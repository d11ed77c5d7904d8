"""`terskel auth garmin`: interactive sign-in; the tokens go to a 0600 file, never the password."""

from __future__ import annotations

import sys

import typer

from terskel.cli.common import EXIT_AUTH, EXIT_PARTIAL, AppState, fail, out
from terskel.cli.sync import auth_app


def _stdin_is_tty() -> bool:
    """True when a person can answer prompts (never under cron or a pipe)."""
    return sys.stdin.isatty()


def _ask_mfa() -> str:
    """Garmin sent a one-time code (e-mail or app): ask for it."""
    return str(typer.prompt("Garmin MFA code")).strip()


@auth_app.command("garmin")
def auth_garmin(ctx: typer.Context) -> None:
    """Sign in to Garmin Connect (email, password, MFA code if asked); saves tokens only."""
    if not _stdin_is_tty():
        fail("`terskel auth garmin` asks for your password: run it in a terminal")
    from terskel.config import GARMIN_TOKEN_DIR, secrets_dir
    from terskel.sources import garmin  # garminconnect: load only for this command

    email = str(typer.prompt("Garmin Connect email")).strip()
    password = str(typer.prompt("Password", hide_input=True))
    try:
        client = garmin.sign_in(email, password, _ask_mfa)
    except garmin.GarminAuthError as exc:
        fail(f"Garmin sign-in failed: {exc}", EXIT_AUTH)
    except garmin.GarminError as exc:
        fail(f"Garmin sign-in failed: {exc}", EXIT_PARTIAL)
    token_dir = secrets_dir(ctx.ensure_object(AppState).locations) / GARMIN_TOKEN_DIR
    path = garmin.save_tokens(client, token_dir)
    out.print(f"Signed in to Garmin Connect; tokens saved to {path}", highlight=False)
