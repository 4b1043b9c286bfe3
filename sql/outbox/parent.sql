-- The parent message's copy at the same destination: a reply goes into that destination's thread.
SELECT status, ts FROM outbox WHERE notification_id = $notification_id AND destination = $destination;
