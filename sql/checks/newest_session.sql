-- The newest session any of the symbols has a bar for.
SELECT max(date) FROM prices_daily WHERE ticker IN (SELECT unnest($symbols::VARCHAR[]));
