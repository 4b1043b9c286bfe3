-- A failed upload keeps its reason; after $max_attempts, or at once when no retry can fix it, it is abandoned
-- (the chart of an old session is not worth posting days later; the message itself was delivered).
UPDATE outbox_files
SET last_error = $error,
    status = CASE WHEN $permanent OR attempts >= $max_attempts THEN 'abandoned' ELSE status END
WHERE notification_id = $notification_id AND destination = $destination AND filename = $filename
RETURNING status;
