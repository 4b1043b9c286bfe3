-- Point in time: whether a share count's date is the day it became public. Yahoo's share-count series
-- (get_shares_full) dates a count when Yahoo published it; a filing's count is dated at its period end or its cover
-- date, and a quarter's average at its period end: those became public with the announcement after them (see
-- metrics_daily.sql), so no market cap uses a count before it was known.
ALTER TABLE shares_outstanding ADD COLUMN IF NOT EXISTS public_on_date BOOLEAN DEFAULT false;
UPDATE shares_outstanding SET public_on_date = (source = 'yfinance' AND measure = 'outstanding');
-- stored market caps used counts before they were public: every derived table recomputes from the first such count
INSERT INTO recompute_pending
SELECT model, changed
FROM (SELECT min(date) AS changed FROM shares_outstanding WHERE NOT public_on_date),
     (VALUES ('metrics_daily'), ('watchlist_daily'), ('alerts')) AS derived(model)
WHERE changed IS NOT NULL
ON CONFLICT (model) DO UPDATE SET from_date = least(recompute_pending.from_date, excluded.from_date);
