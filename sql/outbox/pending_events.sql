-- Notifiable transitions no message carries yet, oldest first.
SELECT episode_key, basket, rule, subject, opened_on, session, transition, severity, metrics, message
FROM alert_events
WHERE notify AND notification_id IS NULL
ORDER BY session, basket, episode_key;
