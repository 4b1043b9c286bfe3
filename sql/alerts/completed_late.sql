-- Sessions in [$since, $until) that were announced as incomplete (an announced incomplete-data episode covers
-- them) and are complete now: the basket rules could not speak for them that night, so what they find now is
-- notified late instead of being filed as history.
WITH announced AS (
    SELECT episode_key, min(opened_on) AS opened_on
    FROM alert_events
    WHERE rule = $rule AND notify AND transition <> 'resolve'
    GROUP BY episode_key
)
SELECT DISTINCT t.date
FROM announced a
JOIN trading_sessions t ON t.date >= a.opened_on AND t.date >= $since AND t.date < $until
WHERE EXISTS (SELECT 1 FROM watchlist_daily w WHERE w.date = t.date)
  AND NOT EXISTS (SELECT 1 FROM alerts x WHERE x.rule = $rule AND x.as_of = t.date)
ORDER BY t.date;
