-- The earliest date the latest loads changed: rows they inserted or changed carry that load's fetched_at (an
-- unchanged row keeps its own). Metrics must be recomputed from there (a first night: its whole warm-up year).
WITH latest AS (SELECT kind, max(fetched_at) AS last_load FROM source_fetches GROUP BY kind)
SELECT least(
    (SELECT min(date) FROM prices_daily WHERE fetched_at = (SELECT last_load FROM latest WHERE kind = 'prices')),
    (SELECT min(date) FROM shares_outstanding WHERE fetched_at = (SELECT last_load FROM latest WHERE kind = 'fundamentals')),
    (SELECT min(period_end) FROM earnings WHERE fetched_at = (SELECT last_load FROM latest WHERE kind = 'fundamentals')));
