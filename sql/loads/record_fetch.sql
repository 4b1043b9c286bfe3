-- When each of $tickers was last asked of $source for this kind of fact (one statement for the whole list).
INSERT OR REPLACE INTO source_fetches (kind, ticker, source, fetched_at)
SELECT $kind, ticker, $source, $fetched_at FROM (SELECT unnest($tickers::VARCHAR[]) AS ticker);
