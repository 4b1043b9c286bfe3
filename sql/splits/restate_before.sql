-- Put stored history before a split date on another basis: $factor new shares per old share (the split's
-- ratio when it is applied; new/old when the source revises the ratio; 1/old when it withdraws the split).
-- Runs in the same transaction as the upsert that brings the source's bars, as Yahoo restates its closes.
UPDATE prices_daily SET open = open / $factor, high = high / $factor, low = low / $factor,
    close = close / $factor, adj_close = adj_close / $factor, volume = CAST(round(volume * $factor) AS BIGINT)
WHERE ticker = $ticker AND date < $date;
UPDATE shares_outstanding SET shares = shares * $factor WHERE ticker = $ticker AND date < $date;
UPDATE earnings SET eps_diluted = eps_diluted / $factor WHERE ticker = $ticker AND period_end < $date;
UPDATE dividends SET dividend = dividend / $factor WHERE ticker = $ticker AND ex_date < $date;
