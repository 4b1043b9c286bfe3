UPDATE outbox_files SET status = 'delivered', delivered_at = $now, file_id = $file_id, last_error = NULL
WHERE notification_id = $notification_id AND destination = $destination AND filename = $filename;
