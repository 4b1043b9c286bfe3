-- Per ticker and calendar week (ending on the week's last session): the week's return and cap change, the
-- week's lowest close against the previous week's close, the drawdown from the 52-week high, P/E at week end.
CREATE OR REPLACE VIEW weekly_drawdowns AS
WITH weeks AS (
    SELECT m.*, CAST(date_trunc('week', m.date) AS DATE) AS week_start,  -- the Monday, a DATE like week_end
           max(m.date) OVER (PARTITION BY m.ticker, date_trunc('week', m.date)) AS week_end
    FROM metrics_daily m
),
ends AS (
    SELECT *, min(close) OVER (PARTITION BY ticker, week_start) AS week_low FROM weeks
    QUALIFY date = week_end
),
with_prev AS (
    SELECT e.*, lag(e.close) OVER (PARTITION BY e.ticker ORDER BY e.date) AS prev_week_close,
           lag(e.market_cap) OVER (PARTITION BY e.ticker ORDER BY e.date) AS prev_week_cap,
           lag(e.week_start) OVER (PARTITION BY e.ticker ORDER BY e.date) AS prev_week_start
    FROM ends e
)
SELECT p.ticker, p.week_start, p.week_end,
       -- only against the week before (a gap of a week without bars gives NULL, not a two-week return)
       CASE WHEN p.prev_week_start = p.week_start - 7 THEN p.close / p.prev_week_close - 1 END
           AS weekly_return,
       CASE WHEN p.prev_week_start = p.week_start - 7 THEN p.market_cap - p.prev_week_cap END
           AS weekly_cap_change,
       CASE WHEN p.prev_week_start = p.week_start - 7 THEN p.week_low / p.prev_week_close - 1 END
           AS week_low_return,
       p.drawdown_52w, p.close, p.market_cap, p.pe_ttm
FROM with_prev p;
