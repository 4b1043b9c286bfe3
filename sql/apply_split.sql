-- Restate stored history before a new split on the post-split basis, as Yahoo restates its closes.
-- Runs in the same transaction as the upsert that brings the post-split bars.
UPDATE prices_daily SET open = open / $ratio, high = high / $ratio, low = low / $ratio,
    close = close / $ratio, adj_close = adj_close / $ratio, volume = CAST(round(volume * $ratio) AS BIGINT)
WHERE ticker = $ticker AND date < $date;
UPDATE shares_outstanding SET shares = shares * $ratio WHERE ticker = $ticker AND date < $date;
UPDATE earnings SET eps_diluted = eps_diluted / $ratio WHERE ticker = $ticker AND period_end < $date;
UPDATE dividends SET dividend = dividend / $ratio WHERE ticker = $ticker AND ex_date < $date;
INSERT INTO splits VALUES ($ticker, $date, $ratio, $source, $fetched_at);
