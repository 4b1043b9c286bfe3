SELECT * FROM watchlist_daily WHERE date = $session;
