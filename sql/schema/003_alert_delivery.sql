-- Alert lifecycle and delivery. Every transition of every episode is recorded once; notifications go through
-- an outbox and are marked delivered only after Slack acknowledges them.
CREATE TABLE IF NOT EXISTS alert_events (
    episode_key     VARCHAR NOT NULL,      -- rule|subject|first session: one episode
    rule            VARCHAR NOT NULL,
    subject         VARCHAR NOT NULL,
    opened_on       DATE NOT NULL,         -- the episode's first session
    session         DATE NOT NULL,         -- the session of this transition
    -- open | repeat | escalate | resolve, or firing: an episode already under way when it was first announced
    transition      VARCHAR NOT NULL CHECK (transition IN ('open', 'repeat', 'escalate', 'resolve', 'firing')),
    severity        VARCHAR NOT NULL,
    metrics         JSON,                  -- the deciding figures on that session (NULL for resolve)
    message         VARCHAR NOT NULL,
    notify          BOOLEAN NOT NULL,      -- false: history (a backfill, a past session, below min severity)
    notification_id VARCHAR,               -- the outbox message that carried it
    recorded_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (episode_key, session, transition)
);

CREATE TABLE IF NOT EXISTS outbox (
    notification_id VARCHAR PRIMARY KEY,   -- idempotency key: kind, session and the transitions it carries
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
    channel         VARCHAR,               -- as Slack acknowledged it
    ts              VARCHAR                -- Slack's message timestamp (threads hang off it)
);
