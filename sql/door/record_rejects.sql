-- Keep rejected facts aside (registered frame `rejected`: ticker, date, value, reason) and clear the earlier
-- rejects that the source has now replaced with usable values (frame `accepted`: ticker, date).
INSERT INTO rejected_facts
SELECT $kind, ticker, date, value, reason, $source, $fetched_at, $fetched_at FROM rejected
ON CONFLICT (kind, ticker, date) DO UPDATE SET value = excluded.value, reason = excluded.reason,
    source = excluded.source, last_seen = excluded.last_seen;
DELETE FROM rejected_facts USING accepted a
WHERE rejected_facts.kind = $kind AND rejected_facts.ticker = a.ticker AND rejected_facts.date = a.date;
