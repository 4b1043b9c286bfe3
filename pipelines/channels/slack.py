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
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

from pipelines.channels.notifier import DeliveryFailure, LookupInconclusive, Message

DEFAULT_API_URL = "https://slack.com/api/"
TOKEN_VAR, WEBHOOK_VAR = "SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL"  # the secrets: passed on as their names (dg.EnvVar)
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
    return [
        RateLimitErrorRetryHandler(max_retry_count=max_retries),
        ServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
        RefusedConnectionRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
    ]


@dataclass(frozen=True)
class SlackSettings:
    """From the environment only (the one place the SLACK_* variables are read); never logged, stored or put in run
    config."""

    bot_token: str | None = None
    channel: str | None = None
    webhook_url: str | None = None
    api_url: str = DEFAULT_API_URL
    timeout: int = 15
    ops_channel: str | None = None  # run failures and failed checks; default: channel

    @classmethod
    def from_env(cls, env=None) -> SlackSettings:
        env = os.environ if env is None else env
        return cls(
            bot_token=env.get(TOKEN_VAR) or None,
            channel=env.get("SLACK_CHANNEL") or None,
            webhook_url=env.get(WEBHOOK_VAR) or None,
            api_url=env.get("SLACK_API_URL") or DEFAULT_API_URL,
            ops_channel=env.get("SLACK_OPS_CHANNEL") or None,
        )

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


# Slack answers that no retry can fix: the token, the webhook or the channel must change first.
PERMANENT_ERRORS = {
    "invalid_auth": "Slack refused the token (check SLACK_BOT_TOKEN)",
    "not_authed": "no token reached Slack (check SLACK_BOT_TOKEN)",
    "token_revoked": "the token was revoked (check SLACK_BOT_TOKEN)",
    "token_expired": "the token expired (check SLACK_BOT_TOKEN)",
    "account_inactive": "the token's account is deactivated (check SLACK_BOT_TOKEN)",
    "missing_scope": "the token lacks a scope it needs (chat:write, channels:history; files:write for charts)",
    "no_permission": "the token may not post there",
    "channel_not_found": "no such channel (check SLACK_CHANNEL)",
    "not_in_channel": "the app is not in the channel (invite it, or check SLACK_CHANNEL)",
    "is_archived": "the channel is archived (check SLACK_CHANNEL)",
    "invalid_token": "Slack refused the webhook (check SLACK_WEBHOOK_URL)",
    "no_service": "the webhook no longer exists (check SLACK_WEBHOOK_URL)",
    "no_active_hooks": "the webhook is disabled (check SLACK_WEBHOOK_URL)",
    "channel_is_archived": "the webhook's channel is archived",
    "action_prohibited": "the workspace forbids this webhook",
}
MAX_LOOKUP_PAGES = 50  # 50 x 200 messages: how far back a lookup reads before it calls itself inconclusive


class _Scrubbing:
    secrets: tuple[str, ...] = ()
    can_look_up = False

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "[redacted]")
        return text

    def failure(self, exc: Exception) -> DeliveryFailure:
        status, code = getattr(exc, "status", None), getattr(exc, "slack_error", None)
        if isinstance(exc, SlackApiError):
            status, code = exc.response.status_code, str(exc.response.get("error") or "")
        if status is not None and (status >= 500 or status == 429):
            return DeliveryFailure(str(status), False, f"outage: Slack answered HTTP {status} ({code or 'no body'})")
        if code:
            hint = PERMANENT_ERRORS.get(code)
            text = f"{code}: {hint}" if hint else f"Slack answered {code} (HTTP {status})"
            return DeliveryFailure(code, hint is not None, self.scrub(text))
        return DeliveryFailure("outage", False, self.scrub(f"outage: {type(exc).__name__}: {exc}"[:300]))


def _next_page(resp) -> str | None:
    """The cursor of the next page, or None when this was the last. "More, but no cursor" proves nothing."""
    cursor = (resp.get("response_metadata") or {}).get("next_cursor")
    if not resp.get("has_more"):
        return None
    if not cursor:
        raise LookupInconclusive("lookup inconclusive: Slack said there are more messages but gave no cursor")
    return cursor


class WebApiSender(_Scrubbing):
    can_look_up = True

    def __init__(self, settings: SlackSettings, max_retries: int = 3):
        self.channel = settings.channel
        self.destination = f"slack:{settings.channel}"
        self.client = WebClient(
            token=settings.bot_token,
            base_url=settings.api_url,
            timeout=settings.timeout,
            retry_handlers=retry_handlers(max_retries),
        )
        self.secrets = (settings.bot_token or "",)

    def post(self, message: Message, thread_ts: str | None, notification_id: str) -> tuple[str, str]:
        resp = self.client.chat_postMessage(
            channel=self.channel,
            text=message.text,
            blocks=message.blocks,
            thread_ts=thread_ts,
            unfurl_links=False,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"notification_id": notification_id}},
        )
        return resp["channel"], resp["ts"]

    def find_posted(
        self, notification_id: str, since: dt.datetime, thread_ts: str | None = None
    ) -> tuple[str, str] | None:
        """The message carrying this idempotency key, posted since `since` (a reply: in its thread), paging back
        until `since`; a lookup that reaches MAX_LOOKUP_PAGES without getting there raises (never a guess)."""
        oldest = f"{(since - dt.timedelta(minutes=5)).replace(tzinfo=dt.UTC).timestamp():.6f}"
        cursor = None
        for _ in range(MAX_LOOKUP_PAGES):
            if thread_ts:
                resp = self.client.conversations_replies(
                    channel=self.channel,
                    ts=thread_ts,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            else:
                resp = self.client.conversations_history(
                    channel=self.channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
                )
            for msg in resp.get("messages", []):
                meta = msg.get("metadata") or {}
                if (
                    meta.get("event_type") == METADATA_EVENT
                    and (meta.get("event_payload") or {}).get("notification_id") == notification_id
                ):
                    return resp.get("channel", self.channel), msg["ts"]
            cursor = _next_page(resp)
            if cursor is None:
                return None
        raise LookupInconclusive(f"lookup inconclusive: more than {MAX_LOOKUP_PAGES * 200} messages since {since}")

    def attach(self, content: bytes, filename: str, title: str, channel: str, thread_ts: str) -> str:
        """files_upload_v2: files.getUploadURLExternal, the upload, files.completeUploadExternal into the thread."""
        resp = self.client.files_upload_v2(
            channel=channel, thread_ts=thread_ts, file=content, filename=filename, title=title, alt_txt=title
        )
        return resp["file"]["id"]

    def find_attached(self, filename: str, channel: str, thread_ts: str) -> str | None:
        cursor = None
        for _ in range(MAX_LOOKUP_PAGES):
            resp = self.client.conversations_replies(channel=channel, ts=thread_ts, limit=200, cursor=cursor)
            for msg in resp.get("messages", []):
                for f in msg.get("files") or []:
                    if f.get("name") == filename:
                        return f["id"]
            cursor = _next_page(resp)
            if cursor is None:
                return None
        raise LookupInconclusive(f"lookup inconclusive: more than {MAX_LOOKUP_PAGES * 200} replies; not uploaded again")


class WebhookError(RuntimeError):
    def __init__(self, status: int, body: str):
        super().__init__(f"webhook answered {status}: {body[:200]}")
        self.status, self.slack_error = status, body.strip()[:100] or None


class WebhookSender(_Scrubbing):
    """An incoming webhook cannot thread, upload or be searched: resolved notices are new messages, charts are not
    posted (text only), and a message whose earlier attempt may have arrived (a dropped connection) is posted again
    marked as a re-send."""

    def __init__(self, settings: SlackSettings, max_retries: int = 3, destination: str = "slack:webhook"):
        self.destination = destination
        self.client = WebhookClient(
            settings.webhook_url, timeout=settings.timeout, retry_handlers=retry_handlers(max_retries)
        )
        self.secrets = (settings.webhook_url or "",)

    def post(self, message: Message, thread_ts: str | None, notification_id: str) -> tuple[str, str]:
        resp = self.client.send(text=message.text, blocks=message.blocks, unfurl_links=False)
        if resp.status_code != 200 or resp.body != "ok":
            raise WebhookError(resp.status_code, resp.body or "")
        return "webhook", ""

    def find_posted(self, notification_id: str, since: dt.datetime, thread_ts: str | None = None) -> None:
        return None


def build_sender(settings: SlackSettings, max_retries: int = 3) -> WebApiSender | WebhookSender | None:
    if settings.bot_token and settings.channel:
        return WebApiSender(settings, max_retries)
    if settings.webhook_url:
        return WebhookSender(settings, max_retries)
    return None
