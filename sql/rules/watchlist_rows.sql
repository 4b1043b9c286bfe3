-- One row per session of $basket for the basket rules, with whether its benchmark has a bar that session.
SELECT w.*, EXISTS (SELECT 1 FROM prices_daily p WHERE p.ticker = $benchmark AND p.date = w.date) AS benchmark_has_bar
FROM watchlist_daily w
WHERE w.basket = $basket AND w.date BETWEEN $start AND $end
ORDER BY w.date;
