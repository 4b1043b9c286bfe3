-- Keep rejected facts aside (registered frame `rejected`: ticker, date, value, reason) and clear the earlier
-- rejects that the source has now replaced with usable values (frame `accepted`: ticker, date).
INSERT INTO rejected_facts BY NAME
SELECT $kind AS kind, ticker, date, value, reason, $source AS source, $fetched_at AS first_seen,
       $fetched_at AS last_seen
FROM rejected
ON CONFLICT (kind, ticker, date) DO UPDATE SET value = excluded.value, reason = excluded.reason,
    source = excluded.source, last_seen = excluded.last_seen;
DELETE FROM rejected_facts USING accepted a
WHERE rejected_facts.kind = $kind AND rejected_facts.ticker = a.ticker AND rejected_facts.date = a.date;
