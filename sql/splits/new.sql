-- Splits in `incoming_splits` not stored yet: history before each must be moved to the new basis once.
SELECT i.ticker, i.date, i.ratio
FROM incoming_splits i
ANTI JOIN splits s ON s.ticker = i.ticker AND s.date = i.date
ORDER BY i.date;
