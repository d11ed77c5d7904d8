-- easy_runs_in_grey_zone: easy and long runs with too much time above easy (I3 and up), the "grey zone" that makes easy days too hard.
-- params: max_share = 10 (percent of the run above I2 that is still fine), since = 2000-01-01 (first local date)
-- columns: local_date, activity_id, session_type, km, minutes, above_easy_minutes, above_easy_pct
-- example: terskel query easy_runs_in_grey_zone --param max_share=5
SELECT s.local_date, s.activity_id, s.session_type,
       round(s.distance_m / 1000, 1) AS km,
       round(sum(z.seconds) / 60, 1) AS minutes,
       round(sum(z.seconds) FILTER (WHERE z.zone IN ('I3', 'I4', 'I5')) / 60, 1) AS above_easy_minutes,
       round(100 * coalesce(sum(z.seconds) FILTER (WHERE z.zone IN ('I3', 'I4', 'I5')), 0)
             / sum(z.seconds), 1) AS above_easy_pct
FROM sessions s
JOIN zone_time z ON z.athlete_id = s.athlete_id AND z.activity_id = s.activity_id
     AND z.seg_index IS NULL AND z.model = 'olympiatoppen'
WHERE s.athlete_id = $athlete AND s.session_type IN ('easy', 'long')
  AND s.local_date >= CAST($since AS DATE)
GROUP BY s.local_date, s.activity_id, s.session_type, s.distance_m
HAVING above_easy_pct > CAST($max_share AS DOUBLE)
ORDER BY s.local_date
