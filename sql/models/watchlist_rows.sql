SELECT count(*) FROM watchlist_daily WHERE date BETWEEN $start AND $end;
