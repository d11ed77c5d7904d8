"""Stable views for hand-written SQL, so queries do not depend on table internals.

Re-created on every writable open (CREATE OR REPLACE), so a new terskel version
can change tables underneath without breaking users' SQL.
"""

from __future__ import annotations

import duckdb

# Each view: name -> SQL. Later analysis tables add v_sessions, v_reps, v_weeks.
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
}


def ensure_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create or replace every view (cheap; runs on each writable open)."""
    for name, sql in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
