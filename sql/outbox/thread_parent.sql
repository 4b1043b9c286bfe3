-- The message that announced an episode: its resolve is posted in that thread.
SELECT notification_id
FROM alert_events
WHERE episode_key = $episode_key AND transition <> 'resolve' AND notification_id IS NOT NULL
ORDER BY session
LIMIT 1;
