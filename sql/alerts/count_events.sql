SELECT count(*) FROM alert_events;
