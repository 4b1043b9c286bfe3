-- Per watchlist ticker: the latest share count and EPS announcement known on $as_of, and their age in days.
-- EPS without an announcement date counts from period end + $eps_lag days, as in the metrics.
WITH symbols AS (SELECT unnest($symbols::VARCHAR[]) AS ticker)
SELECT s.ticker,
       (SELECT max(date) FROM shares_outstanding o WHERE o.ticker = s.ticker AND o.date <= $as_of) AS shares_as_of,
       (SELECT max(coalesce(e.reported_date, CAST(e.period_end + to_days(CAST($eps_lag AS INTEGER)) AS DATE)))
          FROM earnings e
         WHERE e.ticker = s.ticker
           AND coalesce(e.reported_date, CAST(e.period_end + to_days(CAST($eps_lag AS INTEGER)) AS DATE)) <= $as_of) AS eps_known_on
FROM symbols s
ORDER BY s.ticker;
