-- Silences not expired whose range still covers $session (the session being notified).
SELECT id, rule, subject, until, reason, created_by, basket
FROM silences
WHERE expired_at IS NULL AND until >= $session
ORDER BY rule, basket NULLS FIRST, subject NULLS FIRST, id;
