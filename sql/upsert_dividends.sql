INSERT INTO dividends
SELECT ticker, ex_date, dividend, $source, $fetched_at FROM incoming
ON CONFLICT (ticker, ex_date) DO UPDATE SET dividend = excluded.dividend, source = excluded.source,
    fetched_at = excluded.fetched_at
WHERE (dividends.dividend, dividends.source) IS DISTINCT FROM (excluded.dividend, excluded.source);
