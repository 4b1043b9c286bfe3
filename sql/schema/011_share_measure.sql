-- What each stored share count measures: 'outstanding' (a count on its date: yfinance get_shares_full, a filing's
-- cover) or 'basic_average' (a quarter's weighted average basic shares from the income statement, dated at the
-- quarter's end): the fallback, kept only before a ticker's first outstanding count.
ALTER TABLE shares_outstanding ADD COLUMN IF NOT EXISTS measure VARCHAR DEFAULT 'outstanding';
