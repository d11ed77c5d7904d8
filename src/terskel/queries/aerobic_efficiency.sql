-- aerobic_efficiency: running pace at a fixed heart-rate band, month by month (faster at the same HR = fitter).
-- params: hr_low = 135 (lower bound of the HR band, bpm), hr_high = 145 (upper bound, bpm)
-- columns: month, minutes_in_band, pace_min_per_km, runs
-- example: terskel query aerobic_efficiency --param hr_low=140 --param hr_high=150
WITH steps AS (
    SELECT s.activity_id, s.heart_rate, s.speed_mps,
           epoch(lead(s.t) OVER (PARTITION BY s.activity_id ORDER BY s.t) - s.t) AS dt_s
    FROM samples s
    JOIN v_activities a ON a.athlete_id = s.athlete_id AND a.activity_id = s.activity_id
    WHERE s.athlete_id = $athlete AND a.sport = 'running'
)
SELECT strftime(a.local_date, '%Y-%m') AS month,
       round(sum(st.dt_s) / 60, 1) AS minutes_in_band,
       round(1000 / (sum(st.speed_mps * st.dt_s) / sum(st.dt_s)) / 60, 2) AS pace_min_per_km,
       count(DISTINCT st.activity_id) AS runs
FROM steps st
JOIN v_activities a ON a.activity_id = st.activity_id
WHERE st.heart_rate BETWEEN CAST($hr_low AS DOUBLE) AND CAST($hr_high AS DOUBLE)
  AND st.speed_mps > 1.5 AND st.dt_s BETWEEN 0 AND 10  -- moving, and no pause gaps
GROUP BY month
HAVING sum(st.dt_s) >= 300
ORDER BY month
