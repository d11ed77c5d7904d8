"""Stable views for hand-written SQL, so queries do not depend on table internals.

Checked on every writable open and re-created (CREATE OR REPLACE) when missing or
when their SQL changed, so a new terskel version can change tables underneath without
breaking users' SQL.
"""

from __future__ import annotations

import hashlib

import duckdb

# Each view: name -> SQL, in dependency order.
VIEWS: dict[str, str] = {
    "v_activities": """
        SELECT a.athlete_id, a.activity_id, a.sport, a.sub_sport,
               a.start_utc, a.start_local, a.utc_offset_s,
               CAST(a.start_local AS DATE) AS local_date,
               strftime(a.start_local, '%G-W%V') AS iso_week,
               CASE WHEN hour(a.start_local) < 12 THEN 'AM' ELSE 'PM' END AS half_day,
               a.distance_m, a.elapsed_s, a.timer_s, a.avg_hr, a.max_hr,
               a.avg_speed_mps, a.avg_cadence_spm, a.avg_power_w, a.total_ascent_m,
               a.device, a.primary_source, a.sample_count,
               (SELECT count(*) FROM activity_sources s
                 WHERE s.athlete_id = a.athlete_id AND s.activity_id = a.activity_id)
                 AS recordings
        FROM activities a
        WHERE NOT a.deleted
    """,
    # one row per activity with its structure (label NULL until analysed)
    "v_sessions": """
        SELECT v.*, s.label AS structure, s.source AS structure_source, s.n_work AS reps
        FROM v_activities v
        LEFT JOIN structures s ON s.athlete_id = v.athlete_id AND s.activity_id = v.activity_id
    """,
    # one row per work rep, with its session's day and label
    "v_reps": """
        SELECT i.athlete_id, i.activity_id, v.local_date, v.iso_week, v.half_day,
               s.label AS structure, i.set_no, i.rep_no, i.start_utc, i.end_utc,
               i.duration_s, i.distance_m, i.avg_speed_mps, i.max_speed_mps,
               CASE WHEN i.avg_speed_mps > 0 THEN 1000 / i.avg_speed_mps END AS pace_s_per_km,
               i.avg_hr, i.max_hr, i.avg_hr_2nd_half, i.avg_cadence_spm, i.avg_power_w,
               i.source
        FROM intervals i
        JOIN v_activities v ON v.athlete_id = i.athlete_id AND v.activity_id = i.activity_id
        LEFT JOIN structures s ON s.athlete_id = i.athlete_id AND s.activity_id = i.activity_id
        WHERE i.kind = 'work'
    """,
    # one row per ISO week (local time) and sport
    "v_weeks": """
        SELECT athlete_id, iso_week, sport,
               min(local_date) AS first_day,
               count(*) AS activities,
               count(DISTINCT local_date) AS days,
               sum(coalesce(distance_m, 0)) AS distance_m,
               sum(coalesce(timer_s, elapsed_s)) AS moving_s,
               max(distance_m) AS longest_m
        FROM v_activities
        GROUP BY ALL
    """,
}


def ensure_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create or replace every view whose SQL changed (runs on each writable open).

    Each view carries its SQL's digest as its comment: re-creating all four on every
    open cost a one-file import ~0.02 s CPU, and its checkpoint ~0.01 s more to write
    the changed catalog, for views that had not changed."""
    rows = con.execute(
        "SELECT view_name, comment FROM duckdb_views() "
        "WHERE database_name = current_database() AND NOT internal"
    ).fetchall()
    stored = {str(name): comment for name, comment in rows}
    for name, sql in VIEWS.items():
        digest = _digest(sql)
        if stored.get(name) == digest:
            continue
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
        con.execute(f"COMMENT ON VIEW {name} IS '{digest}'")


def _digest(sql: str) -> str:
    """A view's version: the SHA-256 of its SQL (hex, so it quotes as it is)."""
    return "terskel " + hashlib.sha256(sql.encode()).hexdigest()[:16]
