"""terskel: a runner's training history in DuckDB, measured against the threshold model."""

import sys

# Cache compiled modules even under PYTHONDONTWRITEBYTECODE=1 (set in some shells and CI
# images): without a cache every start compiles polars, rich, typer... from source, 9 s
# for `--help` instead of 0.2 s. uv does not compile at install by default (and its
# `compile-bytecode` setting re-walks site-packages on every `uv run`, +1.5 s), so the
# first run compiles what it imports and later runs reuse it; read-only installs lose
# nothing (the write is skipped).
sys.dont_write_bytecode = False

__version__ = "0.1.0"
