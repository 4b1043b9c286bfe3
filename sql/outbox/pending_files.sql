-- Files waiting for upload, with the delivered message whose thread they go into at the same destination (a file
-- whose message is still pending there waits for it).
SELECT f.notification_id, f.destination, f.filename, f.title, f.content, f.attempts, f.created_at, o.channel, o.ts
FROM outbox_files f
JOIN outbox o ON o.notification_id = f.notification_id AND o.destination = f.destination
WHERE f.status = 'pending' AND o.status = 'delivered'
ORDER BY f.created_at, f.notification_id, f.destination, f.filename;
