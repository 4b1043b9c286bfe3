-- The basket's figures a digest quotes.
SELECT * FROM watchlist_daily WHERE date = $session;
