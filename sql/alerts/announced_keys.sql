-- Episodes that were announced (a notified transition other than a resolve).
SELECT DISTINCT episode_key FROM alert_events WHERE notify AND transition <> 'resolve';
