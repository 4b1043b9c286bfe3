"""Slack delivery through slack_sdk: the Web API (bot token, threads) or an incoming webhook.

Retries inside one run use slack_sdk's retry handlers, but only for failures where Slack certainly did not
post: 429 (honouring Retry-After), 5xx, and a refused connection. A timeout or a dropped connection is left to
the outbox, which looks the message up (by its idempotency key in the message metadata) before posting again.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry import RateLimitErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

DEFAULT_API_URL = "https://slack.com/api/"
METADATA_EVENT = "market_monitor_notification"


class RefusedConnectionRetryHandler(RetryHandler):
    """Retry a connection that was refused (nothing was sent), never one that broke mid-request."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if error is None or response is not None:
            return False
        reason = getattr(error, "reason", error) if isinstance(error, URLError) else error
        return isinstance(reason, ConnectionRefusedError)


def retry_handlers(max_retries: int = 3, backoff: float = 0.5) -> list[RetryHandler]:
    interval = BackoffRetryIntervalCalculator(backoff_factor=backoff)
    return [RateLimitErrorRetryHandler(max_retry_count=max_retries),
            ServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
            RefusedConnectionRetryHandler(max_retry_count=max_retries, interval_calculator=interval)]


@dataclass(frozen=True)
class SlackSettings:
    """From the environment only; never logged, stored or put in run config."""

    bot_token: str | None = None
    channel: str | None = None
    webhook_url: str | None = None
    api_url: str = DEFAULT_API_URL
    timeout: int = 15
    ops_channel: str | None = None  # run failures and failed checks; default: channel

    @classmethod
    def from_env(cls, env=None) -> SlackSettings:
        env = os.environ if env is None else env
        return cls(bot_token=env.get("SLACK_BOT_TOKEN") or None, channel=env.get("SLACK_CHANNEL") or None,
                   webhook_url=env.get("SLACK_WEBHOOK_URL") or None,
                   api_url=env.get("SLACK_API_URL") or DEFAULT_API_URL,
                   ops_channel=env.get("SLACK_OPS_CHANNEL") or None)

    def for_ops(self) -> SlackSettings:
        return replace(self, channel=self.ops_channel or self.channel)

    @property
    def configured(self) -> bool:
        return bool((self.bot_token and self.channel) or self.webhook_url)

    def describe(self) -> str:
        """What a log line may say about the configuration (no secret)."""
        if self.bot_token and self.channel:
            return f"Slack Web API, channel {self.channel}"
        if self.webhook_url:
            return "Slack incoming webhook"
        return "no Slack settings (dry run)"


class _Scrubbing:
    secrets: tuple[str, ...] = ()

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "[redacted]")
        return text


class WebApiSender(_Scrubbing):
    def __init__(self, settings: SlackSettings, max_retries: int = 3):
        self.channel = settings.channel
        self.client = WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=settings.timeout,
                                retry_handlers=retry_handlers(max_retries))
        self.secrets = (settings.bot_token or "",)

    def post(self, text: str, blocks: list[dict], thread_ts: str | None, notification_id: str) -> tuple[str, str]:
        resp = self.client.chat_postMessage(
            channel=self.channel, text=text, blocks=blocks, thread_ts=thread_ts, unfurl_links=False,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"notification_id": notification_id}})
        return resp["channel"], resp["ts"]

    def find_posted(self, notification_id: str, since: dt.datetime) -> tuple[str, str] | None:
        oldest = (since - dt.timedelta(minutes=5)).replace(tzinfo=dt.UTC).timestamp()
        resp = self.client.conversations_history(channel=self.channel, oldest=f"{oldest:.6f}",
                                                 include_all_metadata=True, limit=200)
        for msg in resp.get("messages", []):
            meta = msg.get("metadata") or {}
            if meta.get("event_type") == METADATA_EVENT and \
                    (meta.get("event_payload") or {}).get("notification_id") == notification_id:
                return resp.get("channel", self.channel), msg["ts"]
        return None


class WebhookSender(_Scrubbing):
    """An incoming webhook cannot thread or be searched: resolved notices are new messages."""

    def __init__(self, settings: SlackSettings, max_retries: int = 3):
        self.client = WebhookClient(settings.webhook_url, timeout=settings.timeout,
                                    retry_handlers=retry_handlers(max_retries))
        self.secrets = (settings.webhook_url or "",)

    def post(self, text: str, blocks: list[dict], thread_ts: str | None, notification_id: str) -> tuple[str, str]:
        resp = self.client.send(text=text, blocks=blocks, unfurl_links=False)
        if resp.status_code != 200 or resp.body != "ok":
            raise RuntimeError(f"webhook answered {resp.status_code}: {resp.body[:200]}")
        return "webhook", ""

    def find_posted(self, notification_id: str, since: dt.datetime) -> None:
        return None


def build_sender(settings: SlackSettings, max_retries: int = 3):
    if settings.bot_token and settings.channel:
        return WebApiSender(settings, max_retries)
    if settings.webhook_url:
        return WebhookSender(settings, max_retries)
    return None
