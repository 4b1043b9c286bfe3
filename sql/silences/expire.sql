UPDATE silences SET expired_at = CAST($now AS TIMESTAMP), expired_by = $by
WHERE id = $id AND expired_at IS NULL
RETURNING id;
