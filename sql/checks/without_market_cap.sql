-- Names with a bar but no market cap on $day (no share count known yet).
SELECT ticker FROM metrics_daily WHERE date = $day AND market_cap IS NULL AND ticker <> $benchmark ORDER BY 1;
