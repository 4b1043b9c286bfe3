-- Stored bars that are not usable prices (the sources reject these; this guards the table itself).
SELECT ticker, date, open, high, low, close
FROM prices_daily
WHERE ticker IN (SELECT unnest($symbols::VARCHAR[])) AND date BETWEEN $start AND $end
  AND (close IS NULL OR NOT isfinite(close) OR close <= 0 OR adj_close <= 0 OR low > high
       OR (low IS NOT NULL AND close < low * 0.999) OR (high IS NOT NULL AND close > high * 1.001))
ORDER BY date, ticker;
