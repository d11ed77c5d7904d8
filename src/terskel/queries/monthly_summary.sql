-- monthly_summary: per month and sport, how many activities, how far and how long.
-- params: since = 2000-01-01 (first local date to include)
-- columns: month, sport, activities, km, hours, avg_hr
-- example: terskel query monthly_summary --format csv
SELECT strftime(local_date, '%Y-%m') AS month,
       sport,
       count(*) AS activities,
       round(sum(coalesce(distance_m, 0)) / 1000, 1) AS km,
       round(sum(coalesce(timer_s, elapsed_s)) / 3600, 2) AS hours,
       round(avg(avg_hr)) AS avg_hr
FROM v_activities
WHERE athlete_id = $athlete AND local_date >= CAST($since AS DATE)
GROUP BY ALL
ORDER BY month, sport
