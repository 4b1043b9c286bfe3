UPDATE outbox SET last_error = $error WHERE notification_id = $notification_id AND destination = $destination;
