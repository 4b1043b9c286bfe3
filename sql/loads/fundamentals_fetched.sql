-- When each ticker's shares and EPS were last asked of $source.
SELECT ticker, fetched_at FROM source_fetches WHERE kind = 'fundamentals' AND source = $source;
