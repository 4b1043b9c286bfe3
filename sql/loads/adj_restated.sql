-- Per ticker of `incoming_prices`, the factor by which the source restated its adjusted closes (a dividend:
-- Yahoo multiplies every adjusted close before the ex-date by one factor), read at the oldest re-read bar whose
-- close is unchanged; with the number of stored bars before it, which the re-read did not reach and which are
-- still on the old basis.
WITH oldest AS (
    SELECT i.ticker, i.date, i.adj_close / p.adj_close AS factor
    FROM incoming_prices i
    JOIN prices_daily p ON p.ticker = i.ticker AND p.date = i.date
    WHERE i.adj_close > 0 AND p.adj_close > 0 AND abs(i.close / p.close - 1) < 1e-9
    QUALIFY row_number() OVER (PARTITION BY i.ticker ORDER BY i.date) = 1
)
SELECT o.ticker, o.date, o.factor, count(p.date) AS n_before
FROM oldest o
JOIN prices_daily p ON p.ticker = o.ticker AND p.date < o.date
WHERE abs(o.factor - 1) > $tolerance
GROUP BY ALL
ORDER BY o.ticker;
