-- Why each incoming quarterly EPS cannot be true (reason NULL: usable;
-- _row: the row of `incoming`). An announcement before its quarter
-- ended would let P/E use results before they existed.
SELECT _row, ticker, period_end AS date,
    format('period_end={} reported_date={} eps_diluted={}',
           coalesce(period_end::VARCHAR, 'NULL'), coalesce(reported_date::VARCHAR, 'NULL'), coalesce(eps_diluted::VARCHAR, 'NULL')) AS value,
    CASE
        WHEN eps_diluted IS NULL OR NOT isfinite(eps_diluted) THEN 'eps_diluted is not a finite number'
        WHEN abs(eps_diluted) > $max_eps THEN format('|eps_diluted| above {} per share', $max_eps)
        WHEN reported_date < period_end THEN format('announced {}, before its quarter ended', reported_date)
    END AS reason
FROM incoming;
