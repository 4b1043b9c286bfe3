-- The earliest session each of $tickers has been fetched from (a fetch that returned bars).
INSERT INTO price_coverage (ticker, covered_from)
SELECT ticker, $covered_from FROM (SELECT unnest($tickers::VARCHAR[]) AS ticker)
ON CONFLICT (ticker) DO UPDATE SET covered_from = least(price_coverage.covered_from, excluded.covered_from);
