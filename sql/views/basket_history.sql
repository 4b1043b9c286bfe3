-- Each basket's 5-session change on every stored session, ranked against that basket's sessions stored up to it (as
-- it looked that evening: no later session counts), and what the basket did in the 5 and 20 sessions after it.
-- loss_rank 1 = the worst 5-session change stored to date; worst_since = the last earlier session at least as
-- bad (NULL: none stored); return_after_20 chains the 5-session changes at +5, +10, +15 and +20 sessions (each
-- over the names with a market cap at both of its ends, as cap_return_5d is); NULL until those sessions exist.
CREATE OR REPLACE VIEW basket_history AS
WITH w AS (
    SELECT w.basket, w.date, s.session_idx, w.cap_change_5d, w.cap_return_5d, w.n_names_down, w.n_constituents
    FROM watchlist_daily w JOIN trading_sessions s ON s.date = w.date
),
ranked AS (
    SELECT a.basket, a.date,
           count(*) FILTER (WHERE b.cap_return_5d <= a.cap_return_5d) AS loss_rank,
           count(*) AS sessions_to_date,
           min(b.date) AS first_stored,
           count(*) FILTER (WHERE b.cap_return_5d > a.cap_return_5d) / count(*) AS worse_than_share,
           max(b.date) FILTER (WHERE b.date < a.date AND b.cap_return_5d <= a.cap_return_5d) AS worst_since
    FROM w a JOIN w b ON b.basket = a.basket AND b.date <= a.date AND b.cap_return_5d IS NOT NULL
    WHERE a.cap_return_5d IS NOT NULL
    GROUP BY a.basket, a.date
)
SELECT w.basket, w.date, w.cap_change_5d, w.cap_return_5d, w.n_names_down, w.n_constituents,
       r.loss_rank, r.sessions_to_date, r.first_stored, r.worse_than_share, r.worst_since,
       f5.date AS date_after_5, f5.cap_return_5d AS return_after_5,
       f20.date AS date_after_20,
       (1 + f5.cap_return_5d) * (1 + f10.cap_return_5d) * (1 + f15.cap_return_5d) * (1 + f20.cap_return_5d) - 1
           AS return_after_20
FROM w
LEFT JOIN ranked r ON r.basket = w.basket AND r.date = w.date
LEFT JOIN w f5 ON f5.basket = w.basket AND f5.session_idx = w.session_idx + 5
LEFT JOIN w f10 ON f10.basket = w.basket AND f10.session_idx = w.session_idx + 10
LEFT JOIN w f15 ON f15.basket = w.basket AND f15.session_idx = w.session_idx + 15
LEFT JOIN w f20 ON f20.basket = w.basket AND f20.session_idx = w.session_idx + 20;
