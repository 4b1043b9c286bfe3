-- Stored closes before a split date against the closes the source just sent for the same sessions (median of
-- stored / incoming): 1 when the stored history is on the basis the source uses now, whatever the split records
-- say; NULL when the source sent no bar before the split that is stored.
SELECT median(p.close / i.close)
FROM incoming_prices i
JOIN prices_daily p ON p.ticker = i.ticker AND p.date = i.date
WHERE i.ticker = $ticker AND i.date < $date AND i.close > 0 AND isfinite(i.close);
