-- The transitions a queued message carries (registered frame `carried`: notification_id, episode_key, session,
-- transition).
UPDATE alert_events e SET notification_id = c.notification_id
FROM carried c
WHERE e.episode_key = c.episode_key AND e.session = CAST(c.session AS DATE) AND e.transition = c.transition;
