-- The per-name figures a digest's table shows, worst 5-session return first.
SELECT ticker, close, return_5d, cap_change_5d, pe_ttm, eps_ttm
FROM metrics_daily
WHERE date = $session AND ticker IN (SELECT unnest($tickers::VARCHAR[]))
ORDER BY return_5d NULLS LAST, ticker;
