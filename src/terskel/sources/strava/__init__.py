"""Strava API v3 (being split by concept: for now all of it is in `payloads`)."""

from terskel.sources.strava.payloads import *  # noqa: F403
