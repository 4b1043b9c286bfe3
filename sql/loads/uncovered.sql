-- Symbols whose stored prices do not reach back to $need: never fetched, or fetched only more recently.
SELECT s.ticker
FROM (SELECT unnest($symbols::VARCHAR[]) AS ticker) s
LEFT JOIN price_coverage c ON c.ticker = s.ticker
WHERE c.covered_from IS NULL OR c.covered_from > $need
ORDER BY s.ticker;
