-- The basket's row on a session: a resolved notice reads its rule's figure from it (the rule names the column).
SELECT * FROM watchlist_daily WHERE basket = $basket AND date = $session;
