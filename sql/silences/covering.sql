-- Silences not expired whose range still covers $session (the session being notified).
SELECT id, rule, subject, until, reason, created_by
FROM silences
WHERE expired_at IS NULL AND until >= $session
ORDER BY rule, subject NULLS FIRST, id;
