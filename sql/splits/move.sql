-- The source now reports a stored split on another date ($moved_to): the same split, moved. The stored history is
-- on the new basis already, so only the split's date changes.
DELETE FROM splits WHERE ticker = $ticker AND date = $date;
INSERT OR REPLACE INTO splits (ticker, date, ratio, source, fetched_at)
VALUES ($ticker, $moved_to, $ratio, $source, $fetched_at);
