INSERT OR IGNORE INTO outbox (notification_id, destination, basket, session, kind, thread_of, text, blocks, status,
                              created_at)
VALUES ($notification_id, $destination, $basket, $session, $kind, $thread_of, $text, $blocks, $status, $created_at);
