-- Bars that should exist but do not: each symbol on each session in [$start, $end] from its first stored bar
-- on (before that it was not listed yet, e.g. CRWV before 2025-03-28); a symbol with no bar at all is
-- expected on every session.
WITH symbols AS (SELECT unnest($symbols::VARCHAR[]) AS ticker),
first_bar AS (
    SELECT s.ticker, min(p.date) AS first_date
    FROM symbols s LEFT JOIN prices_daily p ON p.ticker = s.ticker
    GROUP BY s.ticker
)
SELECT f.ticker, t.date
FROM first_bar f
JOIN trading_sessions t ON t.date BETWEEN $start AND $end AND t.date >= coalesce(f.first_date, DATE '1900-01-01')
ANTI JOIN prices_daily p ON p.ticker = f.ticker AND p.date = t.date
ORDER BY t.date, f.ticker;
