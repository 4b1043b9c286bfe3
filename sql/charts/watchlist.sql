SELECT date, cap_return_5d, benchmark_return_5d
FROM watchlist_daily
WHERE basket = $basket AND date BETWEEN $start AND $end
ORDER BY date;
