-- Names with a bar but no market cap on $day (no share count known yet).
SELECT ticker FROM metrics_daily WHERE date = $day AND market_cap IS NULL AND NOT list_contains($benchmarks, ticker) ORDER BY 1;
