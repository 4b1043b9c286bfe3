-- The UI's per-name table for one session, worst 5-session return first.
SELECT ticker, close, return_5d, cap_change_5d, drawdown_52w, pe_ttm, shares_as_of, eps_ttm
FROM metrics_daily
WHERE date = $day AND ticker IN (SELECT unnest($symbols::VARCHAR[]))
ORDER BY return_5d;
