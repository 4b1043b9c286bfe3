SELECT notification_id, destination, basket, session, kind, thread_of, text, blocks, attempts, created_at
FROM outbox
WHERE status = 'pending'
ORDER BY created_at, session, kind, notification_id, destination;
