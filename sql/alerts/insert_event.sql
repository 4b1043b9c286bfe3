-- Each transition is recorded once: the primary key makes a re-run's insert a no-op.
INSERT OR IGNORE INTO alert_events (episode_key, rule, subject, opened_on, session, transition, severity, metrics,
                                    message, notify, recorded_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
