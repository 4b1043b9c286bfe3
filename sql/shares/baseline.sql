-- Per ticker of `incoming`, the stored share counts an incoming count is compared with: the last one before its
-- first incoming date and every later one (a resent history must agree with the counts stored for its dates).
SELECT s.ticker, s.date, s.shares
FROM shares_outstanding s
JOIN (SELECT ticker, min(date) AS first FROM incoming GROUP BY ticker) f ON f.ticker = s.ticker
WHERE s.measure = 'outstanding'
QUALIFY s.date >= f.first
     OR row_number() OVER (PARTITION BY s.ticker, s.date < f.first ORDER BY s.date DESC) = 1
ORDER BY s.ticker, s.date;
