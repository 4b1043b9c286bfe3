-- Every finding up to $until: the lifecycle is derived from these alone (a re-run derives the same).
SELECT rule, subject, as_of, severity, metrics, message, basket
FROM alerts
WHERE as_of <= $until
ORDER BY as_of, basket, rule, subject;
