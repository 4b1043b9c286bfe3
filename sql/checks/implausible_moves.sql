-- One-session moves beyond ±$max_move that no split on that session explains.
WITH moves AS (
    SELECT p.ticker, p.date, p.close,
           lag(p.close) OVER (PARTITION BY p.ticker ORDER BY p.date) AS prev_close
    FROM prices_daily p
    WHERE p.ticker IN (SELECT unnest($symbols::VARCHAR[])) AND p.date BETWEEN $lookback AND $end
)
SELECT m.ticker, m.date, m.prev_close, m.close, m.close / m.prev_close - 1 AS move
FROM moves m
ANTI JOIN splits s ON s.ticker = m.ticker AND s.date = m.date
WHERE m.date >= $start AND abs(m.close / m.prev_close - 1) > $max_move
ORDER BY m.date, m.ticker;
