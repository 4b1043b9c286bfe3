INSERT INTO withdrawn_splits BY NAME
SELECT ticker, date, ratio, $fetched_at AS withdrawn_at FROM splits WHERE ticker = $ticker AND date = $date;
DELETE FROM splits WHERE ticker = $ticker AND date = $date;
