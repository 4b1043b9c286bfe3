INSERT INTO withdrawn_splits SELECT ticker, date, ratio, $fetched_at FROM splits WHERE ticker = $ticker AND date = $date;
DELETE FROM splits WHERE ticker = $ticker AND date = $date;
