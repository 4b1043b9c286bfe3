-- Why each incoming bar cannot be true (reason NULL: usable;
-- _row: the row of `incoming`). Limits are far beyond any real share price or
-- company ($max_price, $max_market_cap), so only broken data trips them.
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
    END AS reason
FROM incoming i
ASOF LEFT JOIN shares_outstanding s ON s.ticker = i.ticker AND i.date >= s.date;
