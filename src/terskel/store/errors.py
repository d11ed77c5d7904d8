"""The store's exceptions (one line for the user each), shared by its modules."""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot be opened or used; the message is one line for the user."""


class StoreLocked(StoreError):
    """Another process writes to the store right now; try again later."""
