"""Where each basket's messages go: its configured destinations, each with the sender that reaches it. The one
place that reads the destinations' secrets from the environment (the variables monitor.toml names); a destination
whose secret is not set is a dry run: its messages are recorded and never sent, and the run says so."""

from __future__ import annotations

import os
from dataclasses import dataclass

from pipelines.channels.email import EmailSender
from pipelines.channels.notifier import Attaching, Notifier
from pipelines.channels.slack import SlackSettings, WebApiSender, WebhookSender, build_sender
from pipelines.config import ENV_SLACK, ConfigError, Destination, MonitorConfig

SMTP_PORT = 25


@dataclass(frozen=True)
class Route:
    name: str  # the destination's name in monitor.toml ("slack": the SLACK_* variables)
    key: str  # the outbox's destination column: where the message goes
    sender: Notifier | None  # None: a dry run (the destination's secret is not set)
    missing: str | None = None  # why it is a dry run: the variable to set

    def describe(self) -> str:
        return f"{self.key}" if self.sender else f"{self.name}: dry run ({self.missing})"


def _route(d: Destination, slack: SlackSettings, env) -> Route:
    if d.name == ENV_SLACK and d.kind == "slack" and d.channel is None:  # the built-in, as before baskets
        sender = build_sender(slack)
        missing = "set SLACK_BOT_TOKEN and SLACK_CHANNEL, or SLACK_WEBHOOK_URL"
        return Route(d.name, sender.destination if sender else "dry-run", sender, None if sender else missing)
    if d.kind == "slack":
        token = env.get(d.token_env) or None
        key = f"slack:{d.channel}"
        if not token:
            return Route(d.name, key, None, f"{d.token_env} is not set")
        return Route(
            d.name, key, WebApiSender(SlackSettings(bot_token=token, channel=d.channel, api_url=slack.api_url))
        )
    if d.kind == "slack_webhook":
        url = env.get(d.url_env) or None
        key = f"slack:webhook:{d.name}"
        if not url:
            return Route(d.name, key, None, f"{d.url_env} is not set")
        return Route(d.name, key, WebhookSender(SlackSettings(webhook_url=url), destination=key))
    key = f"email:{d.name}"
    host = env.get(d.smtp_host_env) or None
    if not host:
        return Route(d.name, key, None, f"{d.smtp_host_env} is not set")
    name, _, port = host.partition(":")
    if not name or not (port.isdigit() or not port):
        raise ConfigError(f"{d.smtp_host_env}: {host!r} is not host[:port] (destination {d.name})")
    sender = EmailSender(
        key,
        name,
        int(port or SMTP_PORT),
        d.sender,
        d.to,
        env.get(d.user_env) or None,
        env.get(d.password_env) or None,
    )
    return Route(d.name, key, sender)


@dataclass(frozen=True)
class Routes:
    by_basket: dict[str, list[Route]]

    @classmethod
    def build(cls, cfg: MonitorConfig, slack: SlackSettings, env=None) -> Routes:
        env = os.environ if env is None else env
        built: dict[str, Route] = {}
        for name in {n for b in cfg.baskets for n in b.destinations}:
            built[name] = _route(cfg.destination(name), slack, env)
        return cls({b.name: [built[n] for n in b.destinations] for b in cfg.baskets})

    @classmethod
    def one(cls, cfg: MonitorConfig, sender: Notifier | None) -> Routes:
        """Every basket to one sender (None: a dry run): a single destination, as tests and tools use it."""
        route = Route("one", sender.destination if sender else "dry-run", sender, None if sender else "no sender")
        return cls({b.name: [route] for b in cfg.baskets})

    @property
    def senders(self) -> dict[str, Notifier]:
        return {r.key: r.sender for rs in self.by_basket.values() for r in rs if r.sender is not None}

    @property
    def dry_run(self) -> bool:
        return not self.senders

    def for_outbox(self) -> dict[str, list[tuple[str, bool, bool]]]:
        """basket -> (destination, sendable, takes_files); a dry run keeps its chart (the CLI shows it)."""
        return {
            basket: [(r.key, r.sender is not None, r.sender is None or isinstance(r.sender, Attaching)) for r in rs]
            for basket, rs in self.by_basket.items()
        }

    def describe(self) -> str:
        """What a log line may say about the destinations (no secret)."""
        seen = dict.fromkeys(r.describe() for rs in self.by_basket.values() for r in rs)
        return "; ".join(seen)


def ops_sender(cfg: MonitorConfig, slack: SlackSettings, env=None) -> Notifier | None:
    """Run failures and failed checks: [ops] destination, else SLACK_OPS_CHANNEL (or SLACK_CHANNEL) as before."""
    if cfg.ops.destination is None:
        return build_sender(slack.for_ops())
    return _route(cfg.destination(cfg.ops.destination), slack, os.environ if env is None else env).sender
