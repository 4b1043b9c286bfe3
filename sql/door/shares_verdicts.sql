-- Why each incoming share count cannot be true (reason NULL: usable; _row: the row of `incoming`); the market cap it implies is checked
-- against the close it will multiply.
SELECT i._row, i.ticker, i.date, format('shares={}', coalesce(i.shares::VARCHAR, 'NULL')) AS value,
    CASE
        WHEN i.shares IS NULL OR NOT isfinite(i.shares) OR i.shares <= 0 THEN 'not a positive finite share count'
        WHEN i.shares > $max_shares THEN format('more than {:.3g} shares', $max_shares)
        WHEN p.close * i.shares > $max_market_cap
            THEN format('market cap {:.3g} (x close {}) beyond any real company', p.close * i.shares, p.close)
    END AS reason
FROM incoming i
ASOF LEFT JOIN prices_daily p ON p.ticker = i.ticker AND i.date >= p.date;
