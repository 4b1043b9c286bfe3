-- Where a queued message is meant to go (e.g. slack:#ai-selloff, slack:webhook); NULL for a dry run.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS destination VARCHAR;
