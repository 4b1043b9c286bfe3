-- Symbols whose newest stored bar is $sessions or more sessions before $as_of (or that never had one): names that
-- have stopped arriving (delisted, renamed, a ticker change), not a one-night gap. n_sessions: sessions since.
WITH symbols AS (SELECT unnest($symbols::VARCHAR[]) AS ticker),
last_bar AS (
    SELECT s.ticker, max(p.date) AS last_date
    FROM symbols s LEFT JOIN prices_daily p ON p.ticker = s.ticker AND p.date <= $as_of
    GROUP BY s.ticker
)
SELECT l.ticker, l.last_date,
       (SELECT count(*) FROM trading_sessions t WHERE t.date > coalesce(l.last_date, DATE '1900-01-01')
                                                  AND t.date <= $as_of) AS n_sessions
FROM last_bar l
WHERE n_sessions >= $sessions
ORDER BY l.ticker;
