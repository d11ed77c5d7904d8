-- lactate_by_session: lactate readings beside the pace and heart rate of the rep they follow, session by session.
-- params: since = 2000-01-01 (first local date to include)
-- columns: local_date, activity_id, structure, set_no, rep_no, mmol, rep_pace_s_per_km, rep_hr, note
-- example: terskel query lactate_by_session --format csv
SELECT a.local_date, l.activity_id, st.label AS structure, l.set_no, l.rep_no, l.mmol,
       round(1000 / nullif(i.avg_speed_mps, 0), 1) AS rep_pace_s_per_km,
       round(coalesce(i.avg_hr_2nd_half, i.avg_hr), 1) AS rep_hr,
       l.note
FROM lactate l
JOIN v_activities a ON a.athlete_id = l.athlete_id AND a.activity_id = l.activity_id
LEFT JOIN structures st ON st.athlete_id = l.athlete_id AND st.activity_id = l.activity_id
LEFT JOIN intervals i ON i.athlete_id = l.athlete_id AND i.activity_id = l.activity_id
     AND i.kind = 'work' AND i.set_no = l.set_no AND i.rep_no = l.rep_no
WHERE l.athlete_id = $athlete AND a.local_date >= CAST($since AS DATE)
ORDER BY a.local_date, l.set_no, l.rep_no
