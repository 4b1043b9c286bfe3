-- Share counts held until a later count confirms them (pipelines/storage/share_counts.py): each would move its market cap
-- by more than fundamentals.max_share_change against the previous count with no split to explain it. Market caps
-- use the previous count meanwhile; a confirmed count moves to shares_outstanding, a one-off to rejected_facts.
CREATE TABLE IF NOT EXISTS shares_held (
    ticker          VARCHAR NOT NULL,
    date            DATE NOT NULL,         -- the as-of date of the held count
    shares          DOUBLE NOT NULL,
    previous_date   DATE NOT NULL,         -- the accepted count it departs from
    previous_shares DOUBLE NOT NULL,
    source          VARCHAR NOT NULL,
    fetched_at      TIMESTAMP NOT NULL,    -- when it was last sent
    PRIMARY KEY (ticker, date)
);
