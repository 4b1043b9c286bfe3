SELECT notification_id, session, kind, thread_of, text, blocks, attempts, created_at
FROM outbox
WHERE status = 'pending'
ORDER BY created_at, session, kind, notification_id;
