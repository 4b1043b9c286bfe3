-- Splits in `incoming_splits` not stored yet: history before each must be moved to the new basis once.
-- withdrawn: when the source last withdrew the same split (rows fetched since are on the basis without it).
SELECT i.ticker, i.date, i.ratio,
       (SELECT max(w.withdrawn_at) FROM withdrawn_splits w WHERE w.ticker = i.ticker AND w.date = i.date) AS withdrawn
FROM incoming_splits i
ANTI JOIN splits s ON s.ticker = i.ticker AND s.date = i.date
ORDER BY i.date;
