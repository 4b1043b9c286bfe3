-- Stored bars still on the basis before a split, detected where they overlap the bars the source just sent (Yahoo
-- sometimes reports a split before it restates its history, so bars fetched after the split took effect can be on
-- the old basis): per ticker, load (fetched_at) and split, the stored closes before the split are a steady multiple
-- of the incoming ones, and that multiple is the split's ratio. Run after the splits of this load are recorded.
WITH overlap AS (
    SELECT p.ticker, p.fetched_at, s.date AS split_date, s.ratio, p.close / i.close AS factor
    FROM prices_daily p
    JOIN incoming_prices i ON i.ticker = p.ticker AND i.date = p.date
    JOIN splits s ON s.ticker = p.ticker AND p.date < s.date
    WHERE i.close > 0
)
SELECT ticker, fetched_at, split_date, ratio, count(*) AS n
FROM overlap
GROUP BY ticker, fetched_at, split_date, ratio
HAVING count(*) >= 2 AND max(factor) <= min(factor) * 1.01 AND abs(median(factor) / ratio - 1) < 0.01
ORDER BY ticker, split_date;
