-- Sessions in [$start, $end] for which no symbol has a bar at all: the source has nothing for them (yet).
SELECT t.date
FROM trading_sessions t
WHERE t.date BETWEEN $start AND $end
  AND NOT EXISTS (SELECT 1 FROM prices_daily p
                  WHERE p.date = t.date AND p.ticker IN (SELECT unnest($symbols::VARCHAR[])))
ORDER BY t.date;
