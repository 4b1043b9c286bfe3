-- The session a derived table must recompute from, NULL when it is up to date with its facts.
SELECT from_date FROM recompute_pending WHERE model = $model;
