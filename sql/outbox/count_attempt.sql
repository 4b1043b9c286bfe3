-- Recorded before the post: a process killed while the channel answers leaves a trace to look up.
UPDATE outbox SET attempts = attempts + 1 WHERE notification_id = $notification_id AND destination = $destination;
