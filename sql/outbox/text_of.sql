SELECT text FROM outbox WHERE notification_id = ?;
