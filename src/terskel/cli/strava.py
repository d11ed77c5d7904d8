"""`terskel auth strava`: interactive sign-in (filled in by the strava connector)."""
