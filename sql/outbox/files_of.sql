-- The files queued for a message's thread, once each (a file goes to every destination of the message).
SELECT DISTINCT filename, octet_length(content) AS bytes FROM outbox_files WHERE notification_id = ? ORDER BY filename;
