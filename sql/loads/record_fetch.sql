INSERT OR REPLACE INTO source_fetches VALUES ($kind, $ticker, $source, $fetched_at);
