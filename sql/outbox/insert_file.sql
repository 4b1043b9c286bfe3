INSERT OR IGNORE INTO outbox_files BY NAME
SELECT $notification_id AS notification_id, $destination AS destination, $filename AS filename, $title AS title, $content::BLOB AS content,
       $status AS status, CAST($created_at AS TIMESTAMP) AS created_at;
