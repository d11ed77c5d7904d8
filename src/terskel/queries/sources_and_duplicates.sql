-- sources_and_duplicates: activities recorded more than once (two watches, FIT + Strava + Garmin) and which recording is kept.
-- params: none
-- columns: activity_id, local_date, sport, recordings, sources, kept, paths
-- example: terskel query sources_and_duplicates
SELECT a.activity_id,
       a.local_date,
       a.sport,
       count(*) AS recordings,
       string_agg(s.source, ', ' ORDER BY s.source) AS sources,
       any_value(a.primary_source) AS kept,
       string_agg(coalesce(s.original_path, s.source || ':' || s.source_id), ' | ') AS paths
FROM v_activities a
JOIN activity_sources s ON s.athlete_id = a.athlete_id AND s.activity_id = a.activity_id
WHERE a.athlete_id = $athlete
GROUP BY a.activity_id, a.local_date, a.sport
HAVING count(*) > 1
ORDER BY a.local_date DESC
