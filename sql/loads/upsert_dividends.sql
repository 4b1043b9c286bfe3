INSERT INTO dividends BY NAME
SELECT ticker, ex_date, dividend, $source AS source, $fetched_at AS fetched_at FROM incoming
ON CONFLICT (ticker, ex_date) DO UPDATE SET dividend = excluded.dividend, source = excluded.source,
    fetched_at = excluded.fetched_at
WHERE (dividends.dividend, dividends.source) IS DISTINCT FROM (excluded.dividend, excluded.source);
