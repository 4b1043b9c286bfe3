SELECT ticker, date, return_5d
FROM metrics_daily
WHERE date BETWEEN $start AND $end AND ticker IN (SELECT unnest($tickers::VARCHAR[]))
ORDER BY date, ticker;
