-- Episodes of $basket's $rule that opened before $before and were over by $session, newest first; figures after their peak
-- only when those sessions are on or before $session (a late or replayed alert never quotes its own future).
SELECT opened_on, last_session, peak_session, peak_cap_return_5d, peak_cap_change_5d, peak_names_down,
       peak_constituents,
       CASE WHEN date_after_5 <= $session THEN return_after_5 END AS return_after_5,
       CASE WHEN date_after_20 <= $session THEN return_after_20 END AS return_after_20
FROM episode_history
WHERE basket = $basket AND rule = $rule AND opened_on < $before AND last_session < $session
ORDER BY opened_on DESC;
