-- Baskets (monitor.toml [baskets.<name>]): several watchlists, each with its own names, thresholds and destinations.
-- Raw facts and metrics_daily stay keyed by symbol (a name in two baskets is stored once); every basket-level row
-- carries its basket. What was stored before baskets becomes the first configured basket's ($first_basket).
-- Tables whose key gains the basket are rebuilt (DuckDB cannot change a primary key in place).
CREATE TABLE watchlist_daily_by_basket (
    basket              VARCHAR NOT NULL,  -- monitor.toml [baskets.<name>]
    date                DATE NOT NULL,
    n_constituents      INTEGER NOT NULL,  -- the basket's names with a bar this session
    n_expected          INTEGER NOT NULL,  -- the basket's names listed by this session (first bar on or before it)
    missing_tickers     VARCHAR[] NOT NULL,-- expected but without a bar: coverage is explicit
    n_with_market_cap   INTEGER NOT NULL,
    total_market_cap    DOUBLE,            -- USD, over names with a market cap
    n_cap_pairs         INTEGER NOT NULL,  -- names with a market cap at both ends of the 5-session window
    cap_change_5d       DOUBLE,            -- USD, summed over those names
    cap_return_5d       DOUBLE,            -- fraction: cap_change_5d / their summed cap 5 sessions earlier
    n_names_down        INTEGER,           -- names with return_5d <= the basket's sector_selloff.name_return_5d
    worst_ticker        VARCHAR,
    worst_return_5d     DOUBLE,
    benchmark_return_5d DOUBLE             -- fraction: the basket's benchmark
);
INSERT INTO watchlist_daily_by_basket BY NAME SELECT $first_basket AS basket, * FROM watchlist_daily;
DROP TABLE watchlist_daily;
ALTER TABLE watchlist_daily_by_basket RENAME TO watchlist_daily;

CREATE TABLE alerts_by_basket (
    basket   VARCHAR NOT NULL,
    rule     VARCHAR NOT NULL,             -- sector_selloff | benchmark_drop | stock_drop_5d | ...
    subject  VARCHAR NOT NULL,             -- a ticker, or WATCHLIST for the basket as a whole
    as_of    DATE NOT NULL,                -- the session the condition held on
    severity VARCHAR NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    metrics  JSON NOT NULL,                -- the deciding figures and the thresholds crossed
    message  VARCHAR NOT NULL,
    PRIMARY KEY (basket, rule, subject, as_of)
);
INSERT INTO alerts_by_basket BY NAME SELECT $first_basket AS basket, * FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_by_basket RENAME TO alerts;

-- An episode's key names its basket: basket|rule|subject|first session.
CREATE TABLE alert_events_by_basket (
    episode_key     VARCHAR NOT NULL,
    basket          VARCHAR NOT NULL,
    rule            VARCHAR NOT NULL,
    subject         VARCHAR NOT NULL,
    opened_on       DATE NOT NULL,
    session         DATE NOT NULL,
    transition      VARCHAR NOT NULL CHECK (transition IN ('open', 'repeat', 'escalate', 'resolve', 'firing')),
    severity        VARCHAR NOT NULL,
    metrics         JSON,
    message         VARCHAR NOT NULL,
    notify          BOOLEAN NOT NULL,
    notification_id VARCHAR,
    recorded_at     TIMESTAMP NOT NULL,
    silenced_by     INTEGER,
    PRIMARY KEY (episode_key, session, transition)
);
INSERT INTO alert_events_by_basket BY NAME
SELECT $first_basket || '|' || episode_key AS episode_key, $first_basket AS basket, * EXCLUDE (episode_key)
FROM alert_events;
DROP TABLE alert_events;
ALTER TABLE alert_events_by_basket RENAME TO alert_events;

-- One row per notification and destination: a destination that fails is retried alone, the others are not sent
-- again. `destination` says where (slack:#channel, slack:webhook:<name>, email:<name>; dry-run: no settings).
CREATE TABLE outbox_by_destination (
    notification_id VARCHAR NOT NULL,      -- idempotency key: basket, kind, session and the transitions it carries
    destination     VARCHAR NOT NULL,
    basket          VARCHAR NOT NULL,
    session         DATE NOT NULL,
    kind            VARCHAR NOT NULL CHECK (kind IN ('digest', 'resolved')),
    thread_of       VARCHAR,               -- resolved notices: the notification whose thread they answer
    text            VARCHAR NOT NULL,      -- plain-text fallback
    blocks          JSON NOT NULL,         -- Block Kit
    status          VARCHAR NOT NULL CHECK (status IN ('pending', 'delivered', 'dry_run')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      VARCHAR,
    created_at      TIMESTAMP NOT NULL,
    delivered_at    TIMESTAMP,
    channel         VARCHAR,               -- as the destination acknowledged it
    ts              VARCHAR,               -- the message's id there (Slack's ts: threads hang off it)
    PRIMARY KEY (notification_id, destination)
);
INSERT INTO outbox_by_destination BY NAME
SELECT * EXCLUDE (destination), coalesce(destination, 'dry-run') AS destination, $first_basket AS basket FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_by_destination RENAME TO outbox;

CREATE TABLE outbox_files_by_destination (
    notification_id VARCHAR NOT NULL,
    destination     VARCHAR NOT NULL,      -- the thread it goes into is this destination's copy of the message
    filename        VARCHAR NOT NULL,
    title           VARCHAR NOT NULL,
    content         BLOB NOT NULL,
    status          VARCHAR NOT NULL CHECK (status IN ('pending', 'delivered', 'dry_run', 'abandoned')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      VARCHAR,
    created_at      TIMESTAMP NOT NULL,
    delivered_at    TIMESTAMP,
    file_id         VARCHAR,
    PRIMARY KEY (notification_id, destination, filename)
);
INSERT INTO outbox_files_by_destination BY NAME
SELECT f.*, coalesce(o.destination, 'dry-run') AS destination
FROM outbox_files f JOIN outbox o USING (notification_id);
DROP TABLE outbox_files;
ALTER TABLE outbox_files_by_destination RENAME TO outbox_files;

-- A silence covers one basket, or every basket (NULL).
ALTER TABLE silences ADD COLUMN basket VARCHAR;
