-- Each transition is recorded once: the primary key makes a re-run's insert a no-op. Rows come as the
-- registered frame `incoming_events` (one statement for a night's thousands, not one per row).
INSERT OR IGNORE INTO alert_events BY NAME
SELECT episode_key, basket, rule, subject, CAST(opened_on AS DATE) AS opened_on, CAST(session AS DATE) AS session,
       transition, severity, CAST(metrics AS JSON) AS metrics, message, notify, recorded_at,
       CAST(silenced_by AS INTEGER) AS silenced_by, CAST(inhibited_by AS VARCHAR) AS inhibited_by
FROM incoming_events;
