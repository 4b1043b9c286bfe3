-- The quarter averages (frame `averages`) to store: those dated before the ticker's first outstanding count, stored
-- or arriving now (frame `counts`); all of them for a ticker with none.
WITH firsts AS (
    SELECT ticker, min(date) AS first FROM (
        SELECT ticker, date FROM shares_outstanding WHERE measure = 'outstanding'
        UNION ALL SELECT ticker, date FROM counts)
    GROUP BY ticker)
SELECT a.ticker, a.date, a.shares
FROM averages a LEFT JOIN firsts f ON f.ticker = a.ticker
WHERE f.first IS NULL OR a.date < f.first
ORDER BY a.ticker, a.date;
