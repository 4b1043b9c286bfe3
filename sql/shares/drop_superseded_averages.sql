-- Quarter averages on or after a ticker's first outstanding count: an earlier count arrived since, and counts win.
DELETE FROM shares_outstanding s
WHERE s.measure = 'basic_average'
  AND s.date >= (SELECT min(o.date) FROM shares_outstanding o WHERE o.ticker = s.ticker AND o.measure = 'outstanding');
