-- Silences (as in Alertmanager, counted in sessions): a rule, optionally one subject, quiet for the sessions up
-- to and including `until`. Transitions they cover are still recorded in alert_events, with silenced_by set.
CREATE TABLE IF NOT EXISTS silences (
    id         INTEGER PRIMARY KEY,
    rule       VARCHAR NOT NULL,
    subject    VARCHAR,                    -- NULL: every subject of the rule
    until      DATE NOT NULL,              -- the last session it covers
    reason     VARCHAR NOT NULL,
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expired_at TIMESTAMP,                  -- set by `market-monitor silence expire`: covers nothing from then on
    expired_by VARCHAR
);

-- The silence that kept a transition from being sent (NULL: none did).
ALTER TABLE alert_events ADD COLUMN IF NOT EXISTS silenced_by INTEGER;

-- Files posted into a delivered message's thread (the digest's chart). Apart from the outbox so that a file
-- failing to upload never holds back, re-sends or loses the text message.
CREATE TABLE IF NOT EXISTS outbox_files (
    notification_id VARCHAR NOT NULL,      -- the message whose thread carries the file
    filename        VARCHAR NOT NULL,      -- unique per message: how a retry finds an earlier upload
    title           VARCHAR NOT NULL,
    content         BLOB NOT NULL,         -- the PNG
    status          VARCHAR NOT NULL CHECK (status IN ('pending', 'delivered', 'dry_run', 'abandoned')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      VARCHAR,
    created_at      TIMESTAMP NOT NULL,
    delivered_at    TIMESTAMP,
    file_id         VARCHAR,               -- as Slack acknowledged it
    PRIMARY KEY (notification_id, filename)
);
