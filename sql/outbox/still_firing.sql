-- Announced episodes of $basket that hold on $session: the digest lists those without a transition tonight as
-- context, each since the start of the episode holding on $session (not a later one: history replayed with
-- --notify-history has episodes after the digest's session).
SELECT a.rule, a.subject, a.severity, max(e.opened_on) AS since
FROM alerts a
JOIN alert_events e ON e.basket = a.basket AND e.rule = a.rule AND e.subject = a.subject AND e.notify
    AND e.transition <> 'resolve' AND e.opened_on <= $session
WHERE a.basket = $basket AND a.as_of = $session
GROUP BY ALL
ORDER BY a.rule, a.subject;
