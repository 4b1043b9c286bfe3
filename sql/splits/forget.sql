DELETE FROM splits WHERE ticker = $ticker AND date = $date;
