-- The source now reports a stored split on another date: the same split, moved. The stored history is on the new
-- basis already, so the split only leaves its old date (splits/record then stores it on the new one).
DELETE FROM splits WHERE ticker = $ticker AND date = $date;
