-- Every metrics_daily column of the sessions evaluated: a rule reads whichever it needs (a hand-kept list of 11
-- columns made a new rule on drawdown_52w fail with KeyError).
SELECT *
FROM metrics_daily
WHERE date BETWEEN $start AND $end
ORDER BY date, ticker;
