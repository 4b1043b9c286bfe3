SELECT date, cap_return_5d, benchmark_return_5d
FROM watchlist_daily
WHERE date BETWEEN $start AND $end
ORDER BY date;
