INSERT INTO shares_outstanding BY NAME
SELECT ticker, date, shares, $source AS source, $fetched_at AS fetched_at FROM incoming
ON CONFLICT (ticker, date) DO UPDATE SET shares = excluded.shares, source = excluded.source,
    fetched_at = excluded.fetched_at
WHERE (shares_outstanding.shares, shares_outstanding.source) IS DISTINCT FROM (excluded.shares, excluded.source);
