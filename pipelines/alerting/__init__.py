"""Alert lifecycle, Slack messages, the outbox and delivery."""
