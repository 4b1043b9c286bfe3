-- The sessions in range that watchlist_daily holds for $basket.
SELECT date FROM watchlist_daily WHERE basket = $basket AND date BETWEEN $start AND $end;
