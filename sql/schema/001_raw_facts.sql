-- Raw facts as the sources deliver them, keyed by (ticker, date). fetched_at: when these values were first
-- seen (a re-fetch that changes nothing keeps it, so re-running a range leaves identical tables).
CREATE TABLE IF NOT EXISTS trading_sessions (
    date        DATE PRIMARY KEY,          -- an NYSE (XNYS) session
    session_idx INTEGER NOT NULL UNIQUE    -- consecutive numbering: windows count sessions, not days
);

CREATE TABLE IF NOT EXISTS prices_daily (
    ticker     VARCHAR NOT NULL,
    date       DATE NOT NULL,
    open       DOUBLE,
    high       DOUBLE,
    low        DOUBLE,
    close      DOUBLE NOT NULL,            -- USD, split-adjusted, not dividend-adjusted
    adj_close  DOUBLE,                     -- USD, split- and dividend-adjusted (= close where none given)
    volume     BIGINT,
    source     VARCHAR NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticker, date)
);

CREATE TABLE IF NOT EXISTS shares_outstanding (
    ticker     VARCHAR NOT NULL,
    date       DATE NOT NULL,              -- the date the count is as of
    shares     DOUBLE NOT NULL,            -- on the same (current) split basis as prices_daily.close
    source     VARCHAR NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticker, date)
);

CREATE TABLE IF NOT EXISTS earnings (
    ticker        VARCHAR NOT NULL,
    period_end    DATE NOT NULL,           -- fiscal quarter end
    reported_date DATE,                    -- announcement; NULL when unknown
    eps_diluted   DOUBLE NOT NULL,         -- GAAP diluted EPS for the quarter, current split basis
    source        VARCHAR NOT NULL,
    fetched_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (ticker, period_end)
);

CREATE TABLE IF NOT EXISTS splits (
    ticker     VARCHAR NOT NULL,
    date       DATE NOT NULL,              -- first session on the new basis
    ratio      DOUBLE NOT NULL,            -- new shares per old share (10 for 10:1)
    source     VARCHAR NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticker, date)
);

CREATE TABLE IF NOT EXISTS dividends (
    ticker     VARCHAR NOT NULL,
    ex_date    DATE NOT NULL,
    dividend   DOUBLE NOT NULL,            -- USD per share, current split basis
    source     VARCHAR NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticker, ex_date)
);

-- When each kind of fact was last asked of the source, per ticker: drives the refresh of stale fundamentals.
CREATE TABLE IF NOT EXISTS source_fetches (
    kind       VARCHAR NOT NULL,           -- prices | fundamentals
    ticker     VARCHAR NOT NULL,
    source     VARCHAR NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, ticker)
);
