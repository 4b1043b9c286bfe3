-- metrics_daily for the sessions in [$start, $end]; windows read back to $lookback (252 + 5 sessions).
-- Windows are RANGE frames over session_idx, so a missing bar yields NULL, never a return over 6 sessions.
DELETE FROM metrics_daily WHERE date BETWEEN $start AND $end;

INSERT INTO metrics_daily
WITH eps_known AS (
    SELECT ticker, period_end, eps_diluted,
           coalesce(reported_date, CAST(period_end + to_days(CAST($eps_lag AS INTEGER)) AS DATE)) AS known_on
    FROM earnings
),
eps_events AS (SELECT DISTINCT ticker, known_on FROM eps_known),
eps_ranked AS (
    SELECT ev.ticker, ev.known_on AS effective_date, k.eps_diluted, k.period_end,
           row_number() OVER (PARTITION BY ev.ticker, ev.known_on ORDER BY k.period_end DESC) AS rn
    FROM eps_events ev JOIN eps_known k ON k.ticker = ev.ticker AND k.known_on <= ev.known_on
),
eps_ttm AS (
    -- four quarters, consecutive (their period ends span ~9 months), or no figure at all
    SELECT ticker, effective_date,
           CASE WHEN count(*) = 4 AND max(period_end) - min(period_end) BETWEEN 250 AND 300
                THEN sum(eps_diluted) END AS eps_ttm
    FROM eps_ranked WHERE rn <= 4
    GROUP BY ticker, effective_date
),
px AS (
    SELECT p.ticker, p.date, s.session_idx, p.close, p.adj_close, coalesce(p.adj_close, p.close) AS ret_px
    FROM prices_daily p JOIN trading_sessions s ON s.date = p.date
    WHERE p.date BETWEEN $lookback AND $end
),
facts AS (
    SELECT px.*, sh.shares AS shares_outstanding, sh.date AS shares_as_of, px.close * sh.shares AS market_cap,
           e.eps_ttm
    FROM px
    ASOF LEFT JOIN shares_outstanding sh ON sh.ticker = px.ticker AND sh.date <= px.date
    ASOF LEFT JOIN eps_ttm e ON e.ticker = px.ticker AND e.effective_date <= px.date
),
windows AS (
    SELECT *,
        first_value(ret_px) OVER (w RANGE BETWEEN 1 PRECEDING AND 1 PRECEDING) AS ret_px_1,
        first_value(ret_px) OVER (w RANGE BETWEEN 5 PRECEDING AND 5 PRECEDING) AS ret_px_5,
        first_value(market_cap) OVER (w RANGE BETWEEN 1 PRECEDING AND 1 PRECEDING) AS cap_1,
        first_value(market_cap) OVER (w RANGE BETWEEN 5 PRECEDING AND 5 PRECEDING) AS cap_5,
        max(close) OVER (w RANGE BETWEEN 251 PRECEDING AND CURRENT ROW) AS high_52w,
        list(close) OVER (w RANGE BETWEEN 5 PRECEDING AND CURRENT ROW) AS closes_5d
    FROM facts
    WINDOW w AS (PARTITION BY ticker ORDER BY session_idx)
)
SELECT ticker, date, close, adj_close, shares_outstanding, shares_as_of, market_cap,
       ret_px / ret_px_1 - 1 AS return_1d,
       ret_px / ret_px_5 - 1 AS return_5d,
       market_cap - cap_1 AS cap_change_1d,
       market_cap - cap_5 AS cap_change_5d,
       close / high_52w - 1 AS drawdown_52w,
       -- worst fall from a running peak inside the window (0 when it only rose)
       list_min(list_transform(range(1, len(closes_5d) + 1),
                               lambda i: closes_5d[i] / list_max(closes_5d[1:i]) - 1)) AS max_drawdown_5d,
       eps_ttm,
       CASE WHEN eps_ttm > 0 THEN close / eps_ttm END AS pe_ttm
FROM windows
WHERE date BETWEEN $start AND $end;
