-- Per watchlist ticker: the latest share count and EPS announcement known on $as_of, and their age in days.
-- EPS without an announcement date counts from period end + $eps_lag days, as in the metrics (sql/store/macros.sql).
WITH symbols AS (SELECT unnest($symbols::VARCHAR[]) AS ticker)
SELECT s.ticker,
       (SELECT max(date) FROM shares_outstanding o WHERE o.ticker = s.ticker AND o.date <= $as_of) AS shares_as_of,
       (SELECT max(eps_known_on(e.reported_date, e.period_end, $eps_lag))
          FROM earnings e
         WHERE e.ticker = s.ticker AND eps_known_on(e.reported_date, e.period_end, $eps_lag) <= $as_of) AS eps_known_on
FROM symbols s
ORDER BY s.ticker;
