-- One row per alert episode (alert_events: a basket's rule and subject holding on consecutive sessions), with the
-- basket's
-- figures at the episode's peak (its session with the watchlist's worst 5-session change) and what the basket
-- did in the 5 and 20 sessions after that peak (basket_history). The sector alert's history section reads it.
CREATE OR REPLACE VIEW episode_history AS
WITH episodes AS (
    SELECT episode_key, any_value(basket) AS basket, any_value(rule) AS rule, any_value(subject) AS subject, min(opened_on) AS opened_on,
           max(session) FILTER (WHERE transition = 'resolve') AS resolved_on,
           coalesce(bool_or(notify) FILTER (WHERE transition <> 'resolve'), false) AS announced
    FROM alert_events
    GROUP BY episode_key
),
held AS (
    SELECT e.episode_key, a.as_of, b.* EXCLUDE (basket)
    FROM episodes e
    JOIN alerts a ON a.basket = e.basket AND a.rule = e.rule AND a.subject = e.subject AND a.as_of >= e.opened_on
                 AND (e.resolved_on IS NULL OR a.as_of < e.resolved_on)
    LEFT JOIN basket_history b ON b.basket = e.basket AND b.date = a.as_of
)
SELECT e.episode_key, e.basket, e.rule, e.subject, e.opened_on, max(h.as_of) AS last_session, e.resolved_on, e.announced,
       count(*) AS sessions_held,
       arg_min(h.as_of, h.cap_return_5d) AS peak_session,
       min(h.cap_return_5d) AS peak_cap_return_5d,
       arg_min(h.cap_change_5d, h.cap_return_5d) AS peak_cap_change_5d,
       arg_min(h.n_names_down, h.cap_return_5d) AS peak_names_down,
       arg_min(h.n_constituents, h.cap_return_5d) AS peak_constituents,
       arg_min_null(h.date_after_5, h.cap_return_5d) AS date_after_5,
       arg_min_null(h.return_after_5, h.cap_return_5d) AS return_after_5,
       arg_min_null(h.date_after_20, h.cap_return_5d) AS date_after_20,
       arg_min_null(h.return_after_20, h.cap_return_5d) AS return_after_20
FROM episodes e JOIN held h ON h.episode_key = e.episode_key
GROUP BY ALL
ORDER BY e.opened_on, e.basket, e.rule, e.subject;
