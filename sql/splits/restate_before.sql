-- Put stored history before a split date on another basis: $factor new shares per old share (the split's
-- ratio when it is applied; new/old when the source revises the ratio; 1/old when it withdraws the split).
-- Only rows on the old basis are restated, as $on_old_basis decides from fetched_at: a row fetched after the
-- split took effect came from the source already on the new basis (Yahoo restates its history), so applying
-- the split to it again would apply it twice. Restated rows take this load's fetched_at, so derived tables are
-- recomputed from them. Runs in the same transaction as the upsert that brings the source's bars.
UPDATE prices_daily SET open = open / $factor, high = high / $factor, low = low / $factor,
    close = close / $factor, adj_close = adj_close / $factor, volume = CAST(round(volume * $factor) AS BIGINT),
    fetched_at = $fetched_at
WHERE ticker = $ticker AND date < $date AND (fetched_at < $effective OR fetched_at >= $withdrawn);
UPDATE shares_outstanding SET shares = shares * $factor, fetched_at = $fetched_at
WHERE ticker = $ticker AND date < $date AND (fetched_at < $effective OR fetched_at >= $withdrawn);
UPDATE earnings SET eps_diluted = eps_diluted / $factor, fetched_at = $fetched_at
WHERE ticker = $ticker AND period_end < $date AND (fetched_at < $effective OR fetched_at >= $withdrawn);
UPDATE dividends SET dividend = dividend / $factor, fetched_at = $fetched_at
WHERE ticker = $ticker AND ex_date < $date AND (fetched_at < $effective OR fetched_at >= $withdrawn);
