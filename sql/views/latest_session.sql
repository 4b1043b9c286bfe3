-- The latest session of each name: its metrics and how fresh its fundamentals are.
CREATE OR REPLACE VIEW latest_session AS
SELECT m.*, m.date - m.shares_as_of AS shares_age_days
FROM metrics_daily m
QUALIFY m.date = max(m.date) OVER (PARTITION BY m.ticker);
