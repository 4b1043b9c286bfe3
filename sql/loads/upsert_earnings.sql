-- A known announcement date is never replaced by an unknown one.
INSERT INTO earnings BY NAME
SELECT ticker, period_end, reported_date, eps_diluted, $source AS source, $fetched_at AS fetched_at FROM incoming
ON CONFLICT (ticker, period_end) DO UPDATE SET
    reported_date = coalesce(excluded.reported_date, earnings.reported_date),
    eps_diluted = excluded.eps_diluted, source = excluded.source, fetched_at = excluded.fetched_at
WHERE (earnings.reported_date, earnings.eps_diluted, earnings.source)
      IS DISTINCT FROM (coalesce(excluded.reported_date, earnings.reported_date), excluded.eps_diluted,
                        excluded.source);
