-- rep_drift: per interval session, pace and heart rate of the first reps against the last ("keep the last rep looking like the first").
-- params: since = 2000-01-01 (first local date to include)
-- columns: activity_id, local_date, structure, reps, first_pace_s_per_km, last_pace_s_per_km, pace_drift_pct, first_hr, last_hr, hr_drift_pct
-- example: terskel query rep_drift --param since=2026-09-01
WITH ranked AS (
    SELECT *,
           row_number() OVER (PARTITION BY activity_id ORDER BY start_utc) AS k,
           count(*) OVER (PARTITION BY activity_id) AS n
    FROM v_reps
    WHERE athlete_id = $athlete AND local_date >= CAST($since AS DATE)
), ends AS (
    -- the first and the last third of the reps (at least one each)
    SELECT activity_id, local_date, structure, any_value(n) AS reps,
           avg(pace_s_per_km) FILTER (WHERE k <= greatest(1, n // 3)) AS first_pace,
           avg(pace_s_per_km) FILTER (WHERE k > n - greatest(1, n // 3)) AS last_pace,
           avg(coalesce(avg_hr_2nd_half, avg_hr)) FILTER (WHERE k <= greatest(1, n // 3)) AS first_hr,
           avg(coalesce(avg_hr_2nd_half, avg_hr)) FILTER (WHERE k > n - greatest(1, n // 3)) AS last_hr
    FROM ranked
    WHERE n >= 2
    GROUP BY activity_id, local_date, structure
)
SELECT activity_id, local_date, structure, reps,
       round(first_pace, 1) AS first_pace_s_per_km,
       round(last_pace, 1) AS last_pace_s_per_km,
       round(100 * (last_pace - first_pace) / first_pace, 1) AS pace_drift_pct,
       round(first_hr, 1) AS first_hr,
       round(last_hr, 1) AS last_hr,
       round(100 * (last_hr - first_hr) / first_hr, 1) AS hr_drift_pct
FROM ends
ORDER BY local_date
