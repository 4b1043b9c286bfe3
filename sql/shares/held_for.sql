-- The counts held for the tickers of this load.
SELECT ticker, date, shares, previous_date, previous_shares FROM shares_held WHERE list_contains($tickers, ticker);
