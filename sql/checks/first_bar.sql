-- The first stored bar of a symbol: the start of its history.
SELECT min(date) FROM prices_daily WHERE ticker = $ticker;
