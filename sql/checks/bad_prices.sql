-- Bars refused at the door (rejected_facts) for the sessions a run read, and, as a guard on the table itself,
-- stored bars that are not usable prices.
SELECT ticker, date, reason
FROM rejected_facts
WHERE kind = 'price' AND ticker IN (SELECT unnest($symbols::VARCHAR[])) AND date BETWEEN $start AND $end
UNION ALL
SELECT ticker, date, 'stored bar is not a usable price'
FROM prices_daily
WHERE ticker IN (SELECT unnest($symbols::VARCHAR[])) AND date BETWEEN $start AND $end
  AND (close IS NULL OR NOT isfinite(close) OR close <= 0 OR adj_close <= 0 OR low > high
       OR (low IS NOT NULL AND close < low * 0.999) OR (high IS NOT NULL AND close > high * 1.001))
ORDER BY date, ticker;
