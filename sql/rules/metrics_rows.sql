-- Per-ticker metrics the stock rules and the basket's breadth read.
SELECT ticker, date, close, market_cap, shares_as_of, return_1d, return_5d, cap_change_1d, cap_change_5d,
       eps_ttm, pe_ttm
FROM metrics_daily
WHERE date BETWEEN $start AND $end
ORDER BY date, ticker;
