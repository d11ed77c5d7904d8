"""Fixtures of the connector tests."""

from tests.jobs.sync.fake_strava import fake_strava

__all__ = ["fake_strava"]
