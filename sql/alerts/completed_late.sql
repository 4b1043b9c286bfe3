-- Sessions in [$since, $until) that were announced as incomplete for a basket (an announced incomplete-data episode
-- covers them) and are complete now: the basket rules could not speak for them that night, so what they find now is
-- notified late instead of being filed as history. One row per basket and session.
WITH announced AS (
    SELECT episode_key, any_value(basket) AS basket, min(opened_on) AS opened_on
    FROM alert_events
    WHERE rule = $rule AND notify AND transition <> 'resolve'
    GROUP BY episode_key
)
SELECT DISTINCT a.basket, t.date
FROM announced a
JOIN trading_sessions t ON t.date >= a.opened_on AND t.date >= $since AND t.date < $until
WHERE EXISTS (SELECT 1 FROM watchlist_daily w WHERE w.basket = a.basket AND w.date = t.date)
  AND NOT EXISTS (SELECT 1 FROM alerts x WHERE x.basket = a.basket AND x.rule = $rule AND x.as_of = t.date)
ORDER BY a.basket, t.date;
