-- threshold_minutes_per_week: minutes of rep time in the threshold band per ISO week, and how many threshold sessions gave them.
-- params: since = 2000-01-01 (first local date to include)
-- columns: iso_week, threshold_sessions, threshold_minutes, work_minutes, band_share_pct
-- example: terskel query threshold_minutes_per_week --param since=2026-01-01
SELECT iso_week,
       count(DISTINCT outing_id) FILTER (WHERE session_type = 'threshold') AS threshold_sessions,
       round(sum(coalesce(threshold_s, 0)) / 60, 1) AS threshold_minutes,
       round(sum(coalesce(work_s, 0)) / 60, 1) AS work_minutes,
       round(100 * sum(coalesce(threshold_s, 0)) / nullif(sum(coalesce(work_s, 0)), 0), 1)
           AS band_share_pct
FROM sessions
WHERE athlete_id = $athlete AND local_date >= CAST($since AS DATE)
GROUP BY iso_week
ORDER BY iso_week
