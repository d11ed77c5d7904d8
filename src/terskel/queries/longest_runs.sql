-- longest_runs: the longest runs, with pace and heart rate.
-- params: top = 20 (how many), since = 2000-01-01 (first local date to include)
-- columns: activity_id, local_date, km, duration, pace_min_per_km, avg_hr
-- example: terskel query longest_runs --param top=5
SELECT activity_id,
       local_date,
       round(distance_m / 1000, 2) AS km,
       CAST(to_seconds(CAST(round(coalesce(timer_s, elapsed_s)) AS BIGINT)) AS VARCHAR) AS duration,
       round(coalesce(timer_s, elapsed_s) / 60 / (distance_m / 1000), 2) AS pace_min_per_km,
       round(avg_hr) AS avg_hr
FROM v_activities
WHERE athlete_id = $athlete AND sport = 'running' AND distance_m > 0
  AND local_date >= CAST($since AS DATE)
ORDER BY distance_m DESC
LIMIT CAST($top AS INTEGER)
