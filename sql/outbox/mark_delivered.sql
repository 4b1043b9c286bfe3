UPDATE outbox SET status = 'delivered', delivered_at = $now, channel = $channel, ts = $ts, last_error = NULL
WHERE notification_id = $notification_id AND destination = $destination;
