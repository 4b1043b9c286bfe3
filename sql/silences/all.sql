-- Every silence, newest first.
SELECT id, rule, subject, until, reason, created_by, created_at, expired_at, expired_by, basket
FROM silences
ORDER BY id DESC;
