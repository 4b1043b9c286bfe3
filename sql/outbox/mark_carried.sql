-- The transitions a queued message carries.
UPDATE alert_events SET notification_id = $notification_id
WHERE episode_key = $episode_key AND session = $session AND transition = $transition;
