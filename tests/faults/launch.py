"""terskel's command line aimed at the tests' fake servers: what the fault tests run
in a subprocess (`python -m tests.faults.launch --db ... sync`), so it can be killed.

FAKE_STRAVA_PORT and FAKE_GARMIN (a base URL) point the real stravalib and
garminconnect clients at the fake servers running in the test process.
"""

from __future__ import annotations

import os


def main() -> None:
    """Point the clients at the fakes, then run the CLI."""
    from stravalib.protocol import ApiV3

    from terskel.sources import garmin
    from terskel.sources.strava import client as strava_client
    from tests.jobs.sync.fake_strava import LocalSession

    port = os.environ.get("FAKE_STRAVA_PORT")
    if port:
        ApiV3.server = f"127.0.0.1:{port}"
        strava_client.http_session = LocalSession
        strava_client.RETRY_WAIT_S = 0.01
    base = os.environ.get("FAKE_GARMIN")
    if base:
        token = f"{base}/di-oauth2-service/oauth/token"
        garmin.ENDPOINTS = garmin.Endpoints(sso=base, connect=base, api=base, di_token=token)
    from terskel.cli import app

    app(prog_name="terskel")


if __name__ == "__main__":
    main()
