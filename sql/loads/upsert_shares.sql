INSERT INTO shares_outstanding BY NAME
SELECT ticker, date, shares, measure, public_on_date, $source AS source, $fetched_at AS fetched_at FROM incoming
ON CONFLICT (ticker, date) DO UPDATE SET shares = excluded.shares, measure = excluded.measure,
    public_on_date = excluded.public_on_date, source = excluded.source, fetched_at = excluded.fetched_at
-- an outstanding count is never replaced by a quarter's average
WHERE (shares_outstanding.shares, shares_outstanding.measure, shares_outstanding.public_on_date,
       shares_outstanding.source)
        IS DISTINCT FROM (excluded.shares, excluded.measure, excluded.public_on_date, excluded.source)
  AND (excluded.measure = 'outstanding' OR shares_outstanding.measure = 'basic_average');
