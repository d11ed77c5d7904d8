-- double_threshold_days: local dates with two threshold sessions (outings) at least 3 hours apart, AM and PM.
-- params: since = 2000-01-01 (first local date to include), min_gap_h = 3 (hours between the two starts)
-- columns: local_date, iso_week, sessions, first_start, last_start, structures
-- example: terskel query double_threshold_days --param since=2026-01-01
WITH outings AS (
    SELECT s.local_date, s.iso_week, s.outing_id,
           min(a.start_local) AS start_local,
           string_agg(DISTINCT s.structure, ' | ') AS structures
    FROM sessions s
    JOIN activities a ON a.athlete_id = s.athlete_id AND a.activity_id = s.activity_id
    WHERE s.athlete_id = $athlete AND s.session_type = 'threshold'
      AND s.local_date >= CAST($since AS DATE)
    GROUP BY s.local_date, s.iso_week, s.outing_id
)
SELECT local_date, iso_week,
       count(*) AS sessions,
       min(start_local) AS first_start,
       max(start_local) AS last_start,
       string_agg(structures, ' + ' ORDER BY start_local) AS structures
FROM outings
GROUP BY local_date, iso_week
HAVING count(*) >= 2
   AND date_diff('minute', min(start_local), max(start_local)) >= 60 * CAST($min_gap_h AS DOUBLE)
ORDER BY local_date
