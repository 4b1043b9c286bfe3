-- Per ticker of `incoming`, the last stored share count before its first incoming date: what the first incoming
-- count is compared with.
SELECT s.ticker, s.date, s.shares
FROM shares_outstanding s
JOIN (SELECT ticker, min(date) AS first FROM incoming GROUP BY ticker) f ON f.ticker = s.ticker AND s.date < f.first
WHERE s.measure = 'outstanding'
QUALIFY row_number() OVER (PARTITION BY s.ticker ORDER BY s.date DESC) = 1;
