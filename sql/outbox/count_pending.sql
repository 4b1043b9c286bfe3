SELECT count(*) FROM outbox WHERE status = 'pending';
