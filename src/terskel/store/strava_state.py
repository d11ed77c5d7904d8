"""Strava sync state the Store class does not offer: fingerprints of stored activities."""

from __future__ import annotations

from terskel.store import Store


def stored_fingerprints(store: Store, source: str, source_ids: list[str]) -> dict[str, str]:
    """The `_fingerprint` kept in raw_json of each stored record among `source_ids`."""
    if not source_ids:
        return {}
    rows = store.con.execute(
        "SELECT source_id, json_extract_string(raw_json, '$._fingerprint') "
        "FROM activity_sources WHERE athlete_id = ? AND source = ? "
        "AND list_contains(?, source_id)",
        [store.athlete_id, source, source_ids],
    ).fetchall()
    return {str(sid): str(fp or "") for sid, fp in rows}
