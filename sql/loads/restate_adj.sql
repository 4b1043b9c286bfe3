-- Stored adjusted closes before $date onto the source's new basis (see adj_restated.sql); they take this load's
-- fetched_at, so derived tables are recomputed from them.
UPDATE prices_daily SET adj_close = adj_close * $factor, fetched_at = $fetched_at
WHERE ticker = $ticker AND date < $date AND adj_close IS NOT NULL;
