-- The sessions in range that watchlist_daily holds.
SELECT date FROM watchlist_daily WHERE date BETWEEN $start AND $end;
