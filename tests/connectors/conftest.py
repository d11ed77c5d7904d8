"""Fixtures of the connector tests."""

from tests.connectors.fake_strava import fake_strava

__all__ = ["fake_strava"]
