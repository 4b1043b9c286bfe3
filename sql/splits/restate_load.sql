-- Put the bars of one load (fetched_at = $load) before a split on its basis: the overlap with the source showed
-- they were fetched before the source restated them.
UPDATE prices_daily SET open = open / $factor, high = high / $factor, low = low / $factor,
    close = close / $factor, adj_close = adj_close / $factor, volume = CAST(round(volume * $factor) AS BIGINT),
    fetched_at = $fetched_at
WHERE ticker = $ticker AND fetched_at = $load AND date < $date;
