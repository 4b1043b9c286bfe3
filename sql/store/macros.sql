-- Expressions several statements share, defined once (recreated by every run, like the views).
-- When a quarter's EPS (or a share count dated at its period end) counts as known: its announcement date, else
-- period end + lag days (no look-ahead).
CREATE OR REPLACE MACRO eps_known_on(reported_date, period_end, lag_days) AS
    coalesce(reported_date, CAST(period_end + to_days(CAST(lag_days AS INTEGER)) AS DATE));
