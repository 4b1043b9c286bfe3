INSERT INTO price_coverage VALUES ($ticker, $covered_from)
ON CONFLICT (ticker) DO UPDATE SET covered_from = least(price_coverage.covered_from, excluded.covered_from);
