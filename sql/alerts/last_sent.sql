-- Each episode's last notified transition other than a resolve: reminders are timed from the last message sent.
SELECT episode_key, max(session) FROM alert_events WHERE notify AND transition <> 'resolve' GROUP BY episode_key;
