INSERT OR IGNORE INTO outbox (notification_id, session, kind, thread_of, text, blocks, status, created_at,
                              destination)
VALUES ($notification_id, $session, $kind, $thread_of, $text, $blocks, $status, $created_at, $destination);
