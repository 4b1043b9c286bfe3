-- metrics_daily for the sessions in [$start, $end]; windows read back to $lookback (252 + 5 sessions).
-- Each ticker's bars are laid on a dense grid of sessions (NULL where a bar is missing), so ROWS windows count
-- sessions: a missing bar yields NULL, never a return over six sessions.
DELETE FROM metrics_daily WHERE date BETWEEN $start AND $end;

INSERT INTO metrics_daily
WITH eps_known AS (
    SELECT ticker, period_end, eps_diluted,
           coalesce(reported_date, CAST(period_end + to_days(CAST($eps_lag AS INTEGER)) AS DATE)) AS known_on
    FROM earnings
),
eps_ttm AS (
    -- at each announcement, the last four quarters announced: consecutive (period ends ~9 months apart) or
    -- no figure at all. A window, not a self-join: linear in the number of quarters.
    SELECT ticker, known_on AS effective_date,
           CASE WHEN count(*) OVER q = 4 AND max(period_end) OVER q - min(period_end) OVER q BETWEEN 250 AND 300
                THEN sum(eps_diluted) OVER q END AS eps_ttm
    FROM eps_known
    WINDOW q AS (PARTITION BY ticker ORDER BY known_on, period_end ROWS BETWEEN 3 PRECEDING AND CURRENT ROW)
    QUALIFY row_number() OVER (PARTITION BY ticker, known_on ORDER BY period_end DESC) = 1
),
fundamentals AS (
    -- share count and TTM EPS in force from each date either changes: one small table, one as-of join below
    -- (only the events in force during [$lookback, $end]: the last one before it, and those inside)
    SELECT ev.ticker, ev.date, sh.shares, sh.date AS shares_as_of, e.eps_ttm
    FROM (SELECT ticker, date FROM shares_outstanding UNION SELECT ticker, effective_date FROM eps_ttm) ev
    SEMI JOIN (SELECT ticker, max(date) AS since
               FROM (SELECT ticker, date FROM shares_outstanding UNION ALL SELECT ticker, effective_date FROM eps_ttm)
               WHERE date <= $lookback GROUP BY ticker
               UNION ALL SELECT DISTINCT ticker, $lookback FROM eps_ttm
               UNION ALL SELECT DISTINCT ticker, $lookback FROM shares_outstanding) w
         ON w.ticker = ev.ticker AND ev.date >= w.since AND ev.date <= $end
    ASOF LEFT JOIN shares_outstanding sh ON sh.ticker = ev.ticker AND sh.date <= ev.date
    ASOF LEFT JOIN eps_ttm e ON e.ticker = ev.ticker AND e.effective_date <= ev.date
),
recent AS (
    SELECT ticker, date, close, adj_close FROM prices_daily WHERE date BETWEEN $lookback AND $end
),
spans AS (
    SELECT ticker, min(date) AS first_date, max(date) AS last_date FROM recent GROUP BY ticker
),
grid AS (
    SELECT sp.ticker, s.date, s.session_idx, p.close, p.adj_close, coalesce(p.adj_close, p.close) AS ret_px
    FROM spans sp
    JOIN trading_sessions s ON s.date BETWEEN sp.first_date AND sp.last_date
    LEFT JOIN recent p ON p.ticker = sp.ticker AND p.date = s.date
),
facts AS (
    SELECT g.*, f.shares AS shares_outstanding, f.shares_as_of, g.close * f.shares AS market_cap, f.eps_ttm
    FROM grid g ASOF LEFT JOIN fundamentals f ON f.ticker = g.ticker AND f.date <= g.date
),
windows AS (
    SELECT *,
        lag(ret_px, 1) OVER w AS ret_px_1, lag(ret_px, 5) OVER w AS ret_px_5,
        lag(market_cap, 1) OVER w AS cap_1, lag(market_cap, 5) OVER w AS cap_5,
        max(close) OVER (w ROWS BETWEEN 251 PRECEDING AND CURRENT ROW) AS high_52w,
        lag(close, 5) OVER w AS c5, lag(close, 4) OVER w AS c4, lag(close, 3) OVER w AS c3,
        lag(close, 2) OVER w AS c2, lag(close, 1) OVER w AS c1
    FROM facts
    WINDOW w AS (PARTITION BY ticker ORDER BY session_idx)
)
SELECT ticker, date, close, adj_close, shares_outstanding, shares_as_of, market_cap,
       ret_px / ret_px_1 - 1 AS return_1d,
       ret_px / ret_px_5 - 1 AS return_5d,
       market_cap - cap_1 AS cap_change_1d,
       market_cap - cap_5 AS cap_change_5d,
       close / high_52w - 1 AS drawdown_52w,
       -- worst fall from the running peak within sessions t-5..t (greatest/least skip missing bars; 0 if it only rose)
       least(0, c4 / greatest(c5, c4) - 1, c3 / greatest(c5, c4, c3) - 1, c2 / greatest(c5, c4, c3, c2) - 1,
             c1 / greatest(c5, c4, c3, c2, c1) - 1, close / greatest(c5, c4, c3, c2, c1, close) - 1)
           AS max_drawdown_5d,
       eps_ttm,
       CASE WHEN eps_ttm > 0 THEN close / eps_ttm END AS pe_ttm
FROM windows
WHERE close IS NOT NULL AND date BETWEEN $start AND $end;
