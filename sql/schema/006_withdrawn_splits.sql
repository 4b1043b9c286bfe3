-- Splits the source reported and later withdrew (their history was restored). Rows fetched after a withdrawal
-- are on the basis without that split, which is what a re-reported split must restate.
CREATE TABLE IF NOT EXISTS withdrawn_splits (
    ticker       VARCHAR NOT NULL,
    date         DATE NOT NULL,
    ratio        DOUBLE NOT NULL,             -- the ratio that was withdrawn
    withdrawn_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticker, date, withdrawn_at)
);
