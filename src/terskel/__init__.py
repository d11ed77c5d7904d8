"""terskel: a runner's training history in DuckDB, measured against the threshold model."""

__version__ = "0.1.0"
