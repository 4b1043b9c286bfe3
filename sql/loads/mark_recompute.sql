-- Every derived table must recompute from the earliest date this load inserted or changed (rows it touched carry
-- its fetched_at; an unchanged row keeps its own): kept in recompute_pending until each derived step has done so.
INSERT INTO recompute_pending
SELECT model, changed
FROM (SELECT least(
        (SELECT min(date) FROM prices_daily WHERE fetched_at = $fetched_at),
        (SELECT min(date) FROM shares_outstanding WHERE fetched_at = $fetched_at),
        (SELECT min(period_end) FROM earnings WHERE fetched_at = $fetched_at)) AS changed),
     (VALUES ('metrics_daily'), ('watchlist_daily'), ('alerts')) AS derived(model)
WHERE changed IS NOT NULL
ON CONFLICT (model) DO UPDATE SET from_date = least(recompute_pending.from_date, excluded.from_date);
