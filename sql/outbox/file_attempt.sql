-- Recorded before the upload: a retry looks for an earlier upload in the thread before uploading again.
UPDATE outbox_files SET attempts = attempts + 1 WHERE notification_id = $notification_id AND destination = $destination AND filename = $filename;
