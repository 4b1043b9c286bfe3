-- Why each incoming bar cannot be true (reason NULL: usable;
-- _row: the row of `incoming`). Limits are far beyond any real share price or
-- company ($max_price, $max_market_cap), so only broken data trips them. Below, a close under $min_price, or
-- $max_bar_ratio times beneath the name's typical close in this batch or its previous stored close (a 0.0001 bar
-- for a $180 name would be a -$4.5T "loss"); splits are applied to stored bars before the door, so a real split
-- (at most 1000:1) never trips it.
WITH typical AS (
    SELECT ticker, median(close) AS close FROM incoming
    WHERE isfinite(close) AND close BETWEEN $min_price AND $max_price GROUP BY ticker
)
SELECT i._row, i.ticker, i.date,
    format('open={} high={} low={} close={} adj_close={} volume={}',
           coalesce(i.open::VARCHAR, 'NULL'), coalesce(i.high::VARCHAR, 'NULL'), coalesce(i.low::VARCHAR, 'NULL'),
           coalesce(i.close::VARCHAR, 'NULL'), coalesce(i.adj_close::VARCHAR, 'NULL'),
           coalesce(i.volume::VARCHAR, 'NULL')) AS value,
    CASE
        WHEN i.close IS NULL OR NOT isfinite(i.close) OR i.close <= 0 THEN 'close is not a positive finite number'
        WHEN i.adj_close IS NOT NULL AND (NOT isfinite(i.adj_close) OR i.adj_close <= 0)
            THEN 'adj_close is not a positive finite number'
        WHEN (i.open IS NOT NULL AND (NOT isfinite(i.open) OR i.open <= 0))
          OR (i.high IS NOT NULL AND (NOT isfinite(i.high) OR i.high <= 0))
          OR (i.low IS NOT NULL AND (NOT isfinite(i.low) OR i.low <= 0))
            THEN 'open/high/low not positive finite numbers'
        WHEN greatest(i.open, i.high, i.low, i.close, i.adj_close) > $max_price
            THEN format('a price above {}, beyond any real share price', $max_price)
        WHEN i.low > i.high THEN format('low {} above high {}', i.low, i.high)
        WHEN (i.low IS NOT NULL AND i.close < i.low * 0.999) OR (i.high IS NOT NULL AND i.close > i.high * 1.001)
            THEN format('close {} outside the day''s low-high {}-{}', i.close, i.low, i.high)
        WHEN i.volume < 0 THEN 'negative volume'
        WHEN i.close * s.shares > $max_market_cap
            THEN format('market cap {:.3g} (close x {} shares) beyond any real company', i.close * s.shares, s.shares)
        WHEN least(i.close, i.adj_close) < $min_price
            THEN format('a close below {}, beneath any real share price', $min_price)
        WHEN least(i.close, i.adj_close) * $max_bar_ratio < greatest(t.close, p.close)
            THEN format('close {} is over {}x beneath the name''s usual {:.4g}', least(i.close, i.adj_close),
                        $max_bar_ratio, greatest(t.close, p.close))
    END AS reason
FROM incoming i
LEFT JOIN typical t ON t.ticker = i.ticker
ASOF LEFT JOIN shares_outstanding s ON s.ticker = i.ticker AND i.date >= s.date
ASOF LEFT JOIN prices_daily p ON p.ticker = i.ticker AND i.date > p.date;
