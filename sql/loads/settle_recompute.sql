-- A derived step recomputed $model over [$first, $end] in this transaction. Its downstream tables must follow from
-- $first; its own mark moves past $end where stored facts reach beyond the range it covered, else it is cleared.
INSERT INTO recompute_pending
SELECT model, $first FROM unnest($downstream::VARCHAR[]) AS d(model)
ON CONFLICT (model) DO UPDATE SET from_date = least(recompute_pending.from_date, excluded.from_date);
UPDATE recompute_pending SET from_date = $after_end
WHERE model = $model AND from_date <= $end AND $after_end IS NOT NULL
  AND EXISTS (SELECT 1 FROM prices_daily WHERE date > $end);
DELETE FROM recompute_pending
WHERE model = $model AND from_date <= $end AND NOT EXISTS (SELECT 1 FROM prices_daily WHERE date > $end);
