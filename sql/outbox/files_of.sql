SELECT filename, octet_length(content) AS bytes FROM outbox_files WHERE notification_id = ? ORDER BY filename;
