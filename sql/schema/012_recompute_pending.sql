-- Derived tables that are behind their facts: from_date is the earliest session each must recompute from. A load
-- marks every derived table in its own transaction; each derived step clears its mark in the transaction that
-- recomputes it. A run that fails between the two leaves the mark, so the next run repairs what it left.
CREATE TABLE IF NOT EXISTS recompute_pending (
    model     VARCHAR PRIMARY KEY,   -- metrics_daily, watchlist_daily, alerts
    from_date DATE NOT NULL
);
