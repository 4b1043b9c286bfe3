-- Share counts held until confirmed, for the checked tickers.
SELECT ticker, date, shares, previous_date, previous_shares FROM shares_held
WHERE list_contains($symbols, ticker) ORDER BY ticker, date;
