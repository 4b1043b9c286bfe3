INSERT OR REPLACE INTO splits (ticker, date, ratio, source, fetched_at) VALUES ($ticker, $date, $ratio, $source, $fetched_at);
