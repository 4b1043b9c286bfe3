-- Incomplete-data findings stored for sessions after $day (newer than a backfill's range).
SELECT basket, message FROM alerts WHERE rule = $rule AND as_of > $day ORDER BY as_of, basket;
