-- weekly_volume: running distance, time and number of runs per ISO week (athlete's local time).
-- params: since = 2000-01-01 (first local date to include), sport = running (sport to count)
-- columns: iso_week, runs, km, hours, longest_km
-- example: terskel query weekly_volume --param since=2026-01-01
SELECT iso_week,
       count(*) AS runs,
       round(sum(distance_m) / 1000, 1) AS km,
       round(sum(coalesce(timer_s, elapsed_s)) / 3600, 2) AS hours,
       round(max(distance_m) / 1000, 1) AS longest_km
FROM v_activities
WHERE athlete_id = $athlete AND sport = $sport AND local_date >= CAST($since AS DATE)
GROUP BY iso_week
ORDER BY iso_week
