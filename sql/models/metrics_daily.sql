-- metrics_daily for the sessions in [$start, $end]; windows read back to $lookback ($sessions_52w + 5 sessions).
-- Each ticker's bars are laid on a dense grid of sessions (NULL where a bar is missing), so ROWS windows count
-- sessions: a missing bar yields NULL, never a return over six sessions.
DELETE FROM metrics_daily WHERE date BETWEEN $start AND $end;

INSERT INTO metrics_daily BY NAME
WITH eps_known AS (
    SELECT ticker, period_end, eps_diluted,
           eps_known_on(reported_date, period_end, $eps_lag) AS known_on
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
shares_known AS (
    -- each share count from the day it was public: its own date for a count dated when published; else the first
    -- announcement within $announced_within days after its date (the filing it came with), else its date + $eps_lag
    SELECT s.ticker, s.date, s.shares,
           CASE WHEN s.public_on_date THEN s.date
                ELSE eps_known_on(
                    (SELECT min(e.reported_date) FROM earnings e
                     WHERE e.ticker = s.ticker
                       AND e.reported_date BETWEEN s.date AND CAST(s.date + to_days(CAST($announced_within AS INTEGER)) AS DATE)),
                    s.date, $eps_lag)
           END AS known_on
    FROM shares_outstanding s
),
recent AS (
    SELECT ticker, date, close, adj_close FROM prices_daily WHERE date BETWEEN $lookback AND $end
),
spans AS (
    SELECT ticker, min(date) AS first_date, max(date) AS last_date FROM recent GROUP BY ticker
),
changes AS (
    -- each ticker's span cut where its share count or TTM EPS changes: the first session, then every change
    SELECT ticker, first_date AS date FROM spans
    UNION
    SELECT sp.ticker, ev.date
    FROM spans sp
    JOIN (SELECT ticker, known_on AS date FROM shares_known UNION SELECT ticker, effective_date FROM eps_ttm) ev
      ON ev.ticker = sp.ticker AND ev.date > sp.first_date AND ev.date <= sp.last_date
),
segments AS (
    -- the figures in force on each piece: as-of joins on these few rows, not on every session
    SELECT c.ticker, c.date AS seg_from,
           coalesce(lead(c.date) OVER (PARTITION BY c.ticker ORDER BY c.date) - 1, sp.last_date) AS seg_to,
           sh.shares, sh.date AS shares_as_of, e.eps_ttm
    FROM changes c
    JOIN spans sp ON sp.ticker = c.ticker
    -- the newest count public by then (ties in known_on: the later as-of date, the newer figure)
    ASOF LEFT JOIN (SELECT ticker, known_on, date, shares FROM shares_known
                    QUALIFY row_number() OVER (PARTITION BY ticker, known_on ORDER BY date DESC) = 1) sh
        ON sh.ticker = c.ticker AND sh.known_on <= c.date
    ASOF LEFT JOIN eps_ttm e ON e.ticker = c.ticker AND e.effective_date <= c.date
),
facts AS (
    -- a dense grid of sessions per ticker (NULL close where a bar is missing)
    SELECT sg.ticker, s.date, s.session_idx, p.close, p.adj_close, coalesce(p.adj_close, p.close) AS ret_px,
           sg.shares AS shares_outstanding, sg.shares_as_of, p.close * sg.shares AS market_cap, sg.eps_ttm
    FROM segments sg
    JOIN trading_sessions s ON s.date BETWEEN sg.seg_from AND sg.seg_to
    LEFT JOIN recent p ON p.ticker = sg.ticker AND p.date = s.date
),
windows AS (
    SELECT *,
        lag(ret_px, 1) OVER w AS ret_px_1, lag(ret_px, 5) OVER w AS ret_px_5,
        lag(market_cap, 1) OVER w AS cap_1, lag(market_cap, 5) OVER w AS cap_5,
        max(close) OVER (w ROWS BETWEEN ($sessions_52w - 1) PRECEDING AND CURRENT ROW) AS high_52w,
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
