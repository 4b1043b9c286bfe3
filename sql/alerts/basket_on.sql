-- Basket $basket's standing on $session (basket_history), and "the worst since": the last earlier session at least as
-- bad whose 5-session window ends before the current episode's first window begins (so neither this episode nor
-- the days that led into it count as a precedent).
SELECT b.cap_return_5d, b.cap_change_5d, b.loss_rank, b.sessions_to_date, b.first_stored, b.worse_than_share,
       (SELECT max(p.date) FROM basket_history p JOIN trading_sessions ps ON ps.date = p.date
        WHERE p.basket = b.basket
          AND ps.session_idx <= (SELECT session_idx - 5 FROM trading_sessions WHERE date = $before)
          AND p.cap_return_5d <= b.cap_return_5d) AS worst_since
FROM basket_history b
WHERE b.basket = $basket AND b.date = $session;
