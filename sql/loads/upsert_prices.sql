-- Upsert the registered frame `incoming` into prices_daily; unchanged rows keep their fetched_at.
INSERT INTO prices_daily BY NAME
SELECT ticker, date, open, high, low, close, adj_close, volume, $source AS source, $fetched_at AS fetched_at
FROM incoming
ON CONFLICT (ticker, date) DO UPDATE SET
    open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
    adj_close = excluded.adj_close, volume = excluded.volume, source = excluded.source,
    fetched_at = excluded.fetched_at
WHERE (prices_daily.open, prices_daily.high, prices_daily.low, prices_daily.close, prices_daily.adj_close,
       prices_daily.volume, prices_daily.source)
      IS DISTINCT FROM (excluded.open, excluded.high, excluded.low, excluded.close, excluded.adj_close,
                        excluded.volume, excluded.source);
