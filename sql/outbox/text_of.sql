-- A message's text (the same at every destination).
SELECT any_value(text) FROM outbox WHERE notification_id = ?;
