INSERT INTO alerts (rule, subject, as_of, severity, metrics, message) VALUES (?, ?, ?, ?, ?, ?);
