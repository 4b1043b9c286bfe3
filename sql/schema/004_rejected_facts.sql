-- Facts a source delivered that cannot be true (a close outside its day's range, a price of 1e300, a share
-- count that makes a $100T company). They never reach the fact tables, so no later run reads them; they are
-- kept here with the reason, shown by the checks, and cleared when the source sends a usable value.
CREATE TABLE IF NOT EXISTS rejected_facts (
    kind       VARCHAR NOT NULL CHECK (kind IN ('price', 'shares', 'eps')),
    ticker     VARCHAR NOT NULL,
    date       DATE NOT NULL,              -- session (price), as-of date (shares), period end (eps)
    value      VARCHAR NOT NULL,           -- the values as the source gave them
    reason     VARCHAR NOT NULL,
    source     VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen  TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, ticker, date)
);
