"""`terskel auth garmin`: interactive sign-in (filled in by the garmin connector)."""
