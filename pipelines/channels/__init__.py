"""Notifications: the message, the outbox, and a sender per channel (Slack, e-mail), routed per basket."""
