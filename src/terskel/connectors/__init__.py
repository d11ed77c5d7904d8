"""Connectors: fetch from a source (through `terskel.sources`), save through the store."""
