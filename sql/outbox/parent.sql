SELECT status, ts FROM outbox WHERE notification_id = $notification_id;
