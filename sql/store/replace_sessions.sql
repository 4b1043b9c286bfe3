-- Replace trading_sessions with the calendar's sessions (registered frame `incoming_sessions`).
DELETE FROM trading_sessions;
INSERT INTO trading_sessions (date, session_idx) SELECT date, session_idx FROM incoming_sessions;
