-- Every finding with the figures that decided it, and whether and how it was notified.
CREATE OR REPLACE VIEW alert_history AS
SELECT a.as_of, a.rule, a.subject, a.severity, a.message, a.metrics,
       e.transition, e.notify, e.notification_id, o.status AS delivery_status, o.delivered_at
FROM alerts a
LEFT JOIN alert_events e ON e.rule = a.rule AND e.subject = a.subject AND e.session = a.as_of
LEFT JOIN outbox o ON o.notification_id = e.notification_id
ORDER BY a.as_of DESC, a.severity, a.rule, a.subject;
