-- Stored splits the source now contradicts: inside the span of bars it just sent for a ticker, the split is
-- missing (withdrawn: new_ratio NULL) or carries another ratio (revised). Outside that span the source said
-- nothing, so nothing is concluded.
WITH covered AS (SELECT ticker, min(date) AS first, max(date) AS last FROM incoming_prices GROUP BY ticker)
SELECT s.ticker, s.date, s.ratio AS old_ratio, i.ratio AS new_ratio
FROM splits s
JOIN covered c ON c.ticker = s.ticker AND s.date BETWEEN c.first AND c.last
LEFT JOIN incoming_splits i ON i.ticker = s.ticker AND i.date = s.date
WHERE i.ratio IS NULL OR i.ratio <> s.ratio
ORDER BY s.date DESC;
