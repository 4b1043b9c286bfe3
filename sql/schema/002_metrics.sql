-- Derived tables: per-ticker metrics, the watchlist aggregate, and the rules' findings.
-- metrics_daily and watchlist_daily carry no index: they are rewritten by session range (unique by
-- construction from prices_daily's key), and an index makes those range deletes ~4x slower.
CREATE TABLE IF NOT EXISTS metrics_daily (
    ticker             VARCHAR NOT NULL,
    date               DATE NOT NULL,
    close              DOUBLE NOT NULL,   -- USD, split-adjusted
    adj_close          DOUBLE,            -- USD, split- and dividend-adjusted
    shares_outstanding DOUBLE,            -- latest count on or before date (current split basis); NULL: none known
    shares_as_of       DATE,              -- the date of that count: shows how stale it is
    market_cap         DOUBLE,            -- USD: close × shares_outstanding
    return_1d          DOUBLE,            -- fraction: adj_close vs the previous session
    return_5d          DOUBLE,            -- fraction: adj_close vs 5 sessions earlier
    cap_change_1d      DOUBLE,            -- USD: market_cap − market_cap one session earlier
    cap_change_5d      DOUBLE,            -- USD: market_cap − market_cap 5 sessions earlier
    drawdown_52w       DOUBLE,            -- fraction: close / max(close over the last 252 sessions) − 1
    max_drawdown_5d    DOUBLE,            -- fraction: worst peak-to-trough fall of close within sessions t−5..t
    eps_ttm            DOUBLE,            -- USD: last four quarterly GAAP diluted EPS announced on or before date
    pe_ttm             DOUBLE             -- close / eps_ttm; NULL when eps_ttm <= 0 or unknown
);

CREATE TABLE IF NOT EXISTS watchlist_daily (
    date                DATE NOT NULL,
    n_constituents      INTEGER NOT NULL,  -- watchlist names with a bar this session
    n_expected          INTEGER NOT NULL,  -- watchlist names listed by this session (first bar on or before it)
    missing_tickers     VARCHAR[] NOT NULL,-- expected but without a bar: coverage is explicit
    n_with_market_cap   INTEGER NOT NULL,
    total_market_cap    DOUBLE,            -- USD, over names with a market cap
    n_cap_pairs         INTEGER NOT NULL,  -- names with a market cap at both ends of the 5-session window
    cap_change_5d       DOUBLE,            -- USD, summed over those names
    cap_return_5d       DOUBLE,            -- fraction: cap_change_5d / their summed cap 5 sessions earlier
    n_down_5d           INTEGER NOT NULL,  -- names with return_5d < 0
    worst_ticker        VARCHAR,
    worst_return_5d     DOUBLE,
    benchmark_return_5d DOUBLE             -- fraction
);

CREATE TABLE IF NOT EXISTS alerts (
    rule     VARCHAR NOT NULL,             -- sector_selloff | benchmark_drop | stock_drop_5d | ...
    subject  VARCHAR NOT NULL,             -- a ticker, or WATCHLIST for basket rules
    as_of    DATE NOT NULL,                -- the session the condition held on
    severity VARCHAR NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    metrics  JSON NOT NULL,                -- the deciding figures and the thresholds crossed
    message  VARCHAR NOT NULL,
    PRIMARY KEY (rule, subject, as_of)
);
