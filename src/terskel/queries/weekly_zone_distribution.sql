-- weekly_zone_distribution: hours and share of running time in each zone per ISO week (local time).
-- params: model = olympiatoppen (zone model: olympiatoppen, seiler3, lthr5, pace, power), since = 2000-01-01 (first local date)
-- columns: iso_week, zone, hours, share_pct
-- example: terskel query weekly_zone_distribution --param model=seiler3
SELECT a.iso_week,
       z.zone,
       round(sum(z.seconds) / 3600, 2) AS hours,
       round(100 * sum(z.seconds) / sum(sum(z.seconds)) OVER (PARTITION BY a.iso_week), 1) AS share_pct
FROM zone_time z
JOIN v_activities a ON a.athlete_id = z.athlete_id AND a.activity_id = z.activity_id
WHERE z.athlete_id = $athlete AND z.seg_index IS NULL AND z.model = $model
  AND a.sport = 'running' AND a.local_date >= CAST($since AS DATE)
GROUP BY a.iso_week, z.zone
ORDER BY a.iso_week, z.zone
