-- Every finding with the figures that decided it, and whether and how it was notified: delivery_status is
-- delivered when every destination acknowledged it, pending while one has not, dry_run when none had settings;
-- deliveries lists each destination's status.
CREATE OR REPLACE VIEW alert_history AS
WITH delivery AS (
    SELECT notification_id,
           CASE WHEN bool_and(status = 'delivered') THEN 'delivered'
                WHEN bool_or(status = 'pending') THEN 'pending'
                ELSE min(status) END AS delivery_status,
           max(delivered_at) AS delivered_at,
           list(destination || ': ' || status ORDER BY destination) AS deliveries
    FROM outbox
    GROUP BY notification_id
)
SELECT a.basket, a.as_of, a.rule, a.subject, a.severity, a.message, a.metrics,
       e.transition, e.notify, e.notification_id, d.delivery_status, d.delivered_at, d.deliveries
FROM alerts a
LEFT JOIN alert_events e ON e.basket = a.basket AND e.rule = a.rule AND e.subject = a.subject AND e.session = a.as_of
LEFT JOIN delivery d ON d.notification_id = e.notification_id
ORDER BY a.as_of DESC, a.basket, a.severity, a.rule, a.subject;
