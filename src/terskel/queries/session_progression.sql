-- session_progression: the same session structure over time: is "25x400m/30s" getting faster at the same heart rate?
-- params: structure = % (a label or a LIKE pattern, e.g. 6x400m%), since = 2000-01-01 (first local date)
-- columns: structure, local_date, activity_id, reps, rep_pace_min_per_km, rep_hr, rep_hr_2nd_half, pace_per_bpm
-- example: terskel query session_progression --param structure=6x400m%
SELECT structure,
       local_date,
       activity_id,
       count(*) AS reps,
       round(sum(duration_s) / sum(distance_m) * 1000 / 60, 2) AS rep_pace_min_per_km,
       round(avg(avg_hr), 1) AS rep_hr,
       round(avg(avg_hr_2nd_half), 1) AS rep_hr_2nd_half,
       -- metres per heartbeat in the reps: higher at the same structure = fitter
       round(sum(distance_m) / sum(duration_s) * 60 / avg(avg_hr), 3) AS pace_per_bpm
FROM v_reps
WHERE athlete_id = $athlete AND structure LIKE $structure AND structure <> 'continuous'
  AND local_date >= CAST($since AS DATE)
GROUP BY structure, local_date, activity_id
ORDER BY structure, local_date
