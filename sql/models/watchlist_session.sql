SELECT * FROM watchlist_daily WHERE basket = $basket AND date = $session;
