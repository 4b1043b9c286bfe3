-- The counts held for the given tickers (a load's, or the watchlist's for the shares_confirmed check).
SELECT ticker, date, shares, previous_date, previous_shares FROM shares_held WHERE list_contains($tickers, ticker)
ORDER BY ticker, date;
