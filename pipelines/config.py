"""The monitor's configuration: one TOML file, validated before anything is written.

Every error names the key and the problem, e.g. ``history.refetch_sessions: expected a number, got 'x'``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, ValidationError, create_model

from pipelines.bounds import Block, at_least_zero
from pipelines.errors import PermanentError
from pipelines.rules import RULES, SEVERITIES
from pipelines.sources import DEFAULT_SOURCE, SOURCES, build_source

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "monitor.toml"
TICKER_RE = re.compile(r"^\^?[A-Z0-9][A-Z0-9.\-=]{0,14}$")


class ConfigError(PermanentError, ValueError):
    """A configuration problem; the message names the key."""


def _iso_date(value: Any) -> Any:
    """TOML writes a date bare (a date) or quoted (a string): both are the date; nothing else is."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("expected a date YYYY-MM-DD") from None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValueError("expected a date YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
AI_LEADERS = ("NVDA", "PLTR", "ORCL", "META", "AMD", "CRWV")


class Watchlist(Block):
    """The single-watchlist layout of configs written before baskets: read as one basket (see parse_config)."""

    tickers: list[str] = list(AI_LEADERS)
    benchmark: str = "^IXIC"


class History(Block):
    start: IsoDate = dt.date(2024, 1, 2)
    refetch_sessions: int = at_least_zero(10, most=2520)  # ten years
    fetch_timeout_seconds: float = at_least_zero(120.0, most=3600)
    source_retries: int = at_least_zero(3, most=20)
    retry_delay_seconds: float = at_least_zero(30.0, most=3600)


class Fundamentals(Block):
    refresh_after_days: int = at_least_zero(7, most=3660)
    shares_stale_after_days: int = at_least_zero(200, most=3660)
    eps_stale_after_days: int = at_least_zero(130, most=3660)
    eps_report_lag_days: int = at_least_zero(60, most=366)
    max_share_change: float = at_least_zero(0.02, most=100)


# One [rules.<name>] table per rule that has settings, each the rule's own Settings model (pipelines/rules/).
Rules = create_model(
    "Rules", __base__=Block, **{r.name: (r.settings, Field(default_factory=r.settings)) for r in RULES if r.settings}
)


ENV_SLACK = "slack"  # the destination of a basket that names none: Slack as the SLACK_* variables say (README)
KINDS = ("slack", "slack_webhook", "email")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
ENV_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class Destination(Block):
    """Where a basket's digests (or the ops notices) go. Secrets are never written here: `token_env`, `url_env` and
    `password_env` name the environment variables that hold them."""

    name: str = ENV_SLACK  # the table's name, [destinations.<name>]
    kind: str = "slack"  # slack (Web API: threads, charts) | slack_webhook | email (SMTP)
    channel: str | None = None  # slack: e.g. "#ai-selloff"; None: SLACK_CHANNEL
    token_env: str = "SLACK_BOT_TOKEN"  # slack
    url_env: str = "SLACK_WEBHOOK_URL"  # slack_webhook
    to: list[str] = []  # email: recipients
    sender: str = "market-monitor@localhost"  # email: From
    smtp_host_env: str = "SMTP_HOST"  # email: host[:port] of the SMTP server
    user_env: str = "SMTP_USER"  # email: login, when the server asks for one
    password_env: str = "SMTP_PASSWORD"


class Basket(Block):
    """A set of names watched together: its own benchmark, rule thresholds and destinations. A symbol held by
    several baskets is fetched, stored and computed once; basket-level rows carry the basket's name."""

    name: str  # the table's name, [baskets.<name>]
    title: str  # how messages and the UI name it
    tickers: list[str]
    benchmark: str
    rules: Rules = Field(default_factory=Rules)  # [rules] defaults, overridden by [baskets.<name>.rules]
    destinations: list[str] = [ENV_SLACK]

    @property
    def symbols(self) -> list[str]:
        return [*self.tickers, self.benchmark]


def ai_leaders(rules: Rules | None = None, **kw) -> Basket:
    """The basket there was before baskets: what a single-watchlist config (and MonitorConfig()) watches."""
    spec = {"name": "ai", "title": "AI leaders", "tickers": list(AI_LEADERS), "benchmark": "^IXIC", **kw}
    return Basket(**spec, rules=rules or Rules())


class Ops(Block):
    # Run failures and failed checks; None: SLACK_OPS_CHANNEL, else the first basket's Slack channel (as before).
    destination: str | None = None


class Alerts(Block):
    repeat_interval_sessions: int = at_least_zero(5, most=2520)
    resolve_after_sessions: int = at_least_zero(2, most=252)
    notify_min_severity: str = "warning"


class Schedule(Block):
    cron: str = "30 18 * * 1-5"
    timezone: str = "America/New_York"
    # Daily assets count as stale when tonight's session is not in by this cron tick (Dagster freshness).
    fresh_by_cron: str = "0 21 * * 1-5"


class MonitorConfig(Block):
    baskets: tuple[Basket, ...] = Field(default_factory=lambda: (ai_leaders(),))
    history: History = Field(default_factory=History)
    fundamentals: Fundamentals = Field(default_factory=Fundamentals)
    rules: Rules = Field(default_factory=Rules)  # the defaults every basket starts from
    alerts: Alerts = Field(default_factory=Alerts)
    schedule: Schedule = Field(default_factory=Schedule)
    destinations: tuple[Destination, ...] = ()  # [destinations.<name>]; "slack" (the SLACK_* variables) is built in
    ops: Ops = Field(default_factory=Ops)

    @property
    def tickers(self) -> list[str]:
        """Every basket's names, once each (fundamentals are fetched for these)."""
        return list(dict.fromkeys(t for b in self.baskets for t in b.tickers))

    @property
    def benchmarks(self) -> list[str]:
        return list(dict.fromkeys(b.benchmark for b in self.baskets if b.benchmark not in self.tickers))

    @property
    def symbols(self) -> list[str]:
        """Everything the sources fetch: each symbol once, however many baskets hold it."""
        return [*self.tickers, *self.benchmarks]

    def basket(self, name: str) -> Basket:
        return next(b for b in self.baskets if b.name == name)

    def destination(self, name: str) -> Destination:
        return next((d for d in self.destinations if d.name == name), None) or Destination(name=ENV_SLACK)

    @classmethod
    def single(cls, tickers: list[str], benchmark: str = "^IXIC", rules: Rules | None = None, **kw) -> MonitorConfig:
        """One basket (the AI leaders' name and title) over these names: what a single-watchlist config loads as."""
        return cls(baskets=(ai_leaders(rules, tickers=list(tickers), benchmark=benchmark),), **kw)

    def with_rules(self, **sections) -> MonitorConfig:
        """Every basket's (and the defaults') rule settings with these [rules.<name>] blocks replaced."""
        return self.replace(
            rules=self.rules.replace(**sections),
            baskets=tuple(b.replace(rules=b.rules.replace(**sections)) for b in self.baskets),
        )


_TYPES = {
    "int_type": "expected a whole number",
    "float_type": "expected a number",
    "string_type": "expected a string",
    "list_type": "expected a list of strings",
    "tuple_type": "expected a list",
    "model_type": "expected a table",
    "dict_type": "expected a table",
    "finite_number": "expected a finite number",
}


def _known(model: Any, loc: tuple) -> list[str]:
    """The keys a table at `loc` (below `model`) may have."""
    for part in loc:
        field_info = getattr(model, "model_fields", {}).get(part)
        if field_info is None:
            return []
        model = field_info.annotation
    return sorted(getattr(model, "model_fields", {}))


def _problem(model: Any, error: dict, prefix: str) -> str:
    """pydantic's first error as one line that names the key: `history.refetch_sessions: must not be negative`."""
    loc = error["loc"]
    key = prefix
    for part in loc:
        key = f"{key}[{part}]" if isinstance(part, int) else (f"{key}.{part}" if key else str(part))
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"{key}: unknown key (known: {', '.join(_known(model, loc[:-1]))})"
    if kind == "missing":
        return f"{key}: required"
    if kind == "less_than_equal":
        if ctx.get("le") == 0:
            return f"{key}: is a loss threshold and must be <= 0, got {value!r}"
        return f"{key}: must be at most {ctx['le']:g}, got {value!r}"
    if kind == "greater_than_equal":
        if ctx.get("ge") == 0:
            return f"{key}: must not be negative, got {value!r}"
        return f"{key}: must be at least {ctx['ge']:g}, got {value!r}"
    if kind == "value_error":
        return f"{key}: {ctx.get('error', error['msg'])}, got {value!r}"
    return f"{key}: {_TYPES.get(kind, error['msg'])}, got {value!r}"


def _validate(model: Any, data: Any, prefix: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_problem(model, exc.errors()[0], prefix)) from None


def _check_basket(b: Basket, where: str, legacy: bool) -> None:
    """where: the basket's key prefix ("baskets.ai." or, for a single-watchlist config, "")."""
    tickers_key, bench_key = (
        ("watchlist.tickers", "watchlist.benchmark")
        if legacy
        else (
            f"{where}tickers",
            f"{where}benchmark",
        )
    )
    seen: set[str] = set()
    for i, sym in enumerate(b.symbols):
        key = bench_key if i == len(b.tickers) else f"{tickers_key}[{i}]"
        if not TICKER_RE.match(sym):
            raise ConfigError(f"{key}: {sym!r} is not a ticker symbol (upper case, e.g. NVDA or ^IXIC)")
        if sym in seen:
            raise ConfigError(f"{key}: duplicate ticker {sym!r}")
        seen.add(sym)
    if not b.tickers:
        raise ConfigError(f"{tickers_key}: must name at least one ticker")
    for rule in RULES:
        problem = rule.validate(getattr(b.rules, rule.name), b) if rule.validate else None
        if problem:
            raise ConfigError(f"{where}rules.{rule.name}.{problem}")


def _check_destination(d: Destination) -> None:
    key = f"destinations.{d.name}"
    if d.kind not in KINDS:
        raise ConfigError(f"{key}.kind: {d.kind!r} is not one of {', '.join(KINDS)}")
    if d.kind == "slack" and not d.channel:
        raise ConfigError(f'{key}.channel: required for kind = "slack" (e.g. "#ai-selloff")')
    if d.kind == "email" and (not d.to or not all("@" in a for a in d.to)):
        raise ConfigError(f"{key}.to: expected a list of e-mail addresses, got {d.to!r}")
    for env_key in ("token_env", "url_env", "smtp_host_env", "user_env", "password_env"):
        if not ENV_RE.match(getattr(d, env_key)):
            raise ConfigError(f"{key}.{env_key}: {getattr(d, env_key)!r} is not an environment variable name")


def _check(cfg: MonitorConfig, legacy: bool) -> None:
    known = {ENV_SLACK, *(d.name for d in cfg.destinations)}
    for d in cfg.destinations:
        _check_destination(d)
    for b in cfg.baskets:
        where = "" if legacy else f"baskets.{b.name}."
        _check_basket(b, where, legacy)
        if not b.destinations:  # its alerts would be recorded and go nowhere: silence nobody chose
            raise ConfigError(f'{where}destinations: must name at least one destination (e.g. ["slack"])')
        for i, name in enumerate(b.destinations):
            if name not in known:
                raise ConfigError(
                    f"{where or 'baskets.' + b.name + '.'}destinations[{i}]: unknown destination {name!r} "
                    f"(known: {', '.join(sorted(known))}; define it as [destinations.{name}])"
                )
    if cfg.ops.destination is not None and cfg.ops.destination not in known:
        raise ConfigError(
            f"ops.destination: unknown destination {cfg.ops.destination!r} (known: {', '.join(sorted(known))})"
        )
    if cfg.history.refetch_sessions < 1 or cfg.history.fetch_timeout_seconds <= 0:
        raise ConfigError("history: refetch_sessions must be >= 1 and fetch_timeout_seconds > 0")
    from pipelines import calendar

    sessions = calendar.all_sessions()
    earliest = sessions[252]  # the warm-up year before start must be on the calendar too
    if not earliest <= cfg.history.start <= sessions[-1]:
        raise ConfigError(
            f"history.start: {cfg.history.start} is outside the NYSE calendar this tool knows "
            f"({earliest} .. {sessions[-1]}, after a year of warm-up)"
        )
    # Dagster's own validator: what passes here, the schedule and the freshness policy accept.
    from dagster._utils.schedules import is_valid_cron_string

    for key in ("cron", "fresh_by_cron"):
        value = getattr(cfg.schedule, key)
        if not is_valid_cron_string(value):
            raise ConfigError(
                f"schedule.{key}: {value!r} is not a valid 5-field cron expression "
                "(minute hour day-of-month month day-of-week, e.g. '30 18 * * 1-5')"
            )
    try:
        ZoneInfo(cfg.schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"schedule.timezone: {cfg.schedule.timezone!r} is not a time zone") from None
    if cfg.alerts.notify_min_severity not in SEVERITIES:
        raise ConfigError(
            f"alerts.notify_min_severity: {cfg.alerts.notify_min_severity!r} is not one of {', '.join(SEVERITIES)}"
        )
    for key in ("repeat_interval_sessions", "resolve_after_sessions"):
        if getattr(cfg.alerts, key) < 1:
            raise ConfigError(f"alerts.{key}: must be at least 1")


def _basket(name: str, raw: Any, default_rules: dict) -> Basket:
    key = f"baskets.{name}"
    if not NAME_RE.match(name):
        raise ConfigError(f"{key}: a basket's name is 1-32 lower-case letters, digits, '-' or '_' (it keys its rows)")
    if not isinstance(raw, dict):
        raise ConfigError(f"{key}: expected a table, got {raw!r}")
    if "name" in raw:
        raise ConfigError(f"{key}.name: unknown key (the table's name is the basket's)")
    overrides = raw.get("rules", {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"{key}.rules: expected a table, got {overrides!r}")
    for rule, block in overrides.items():
        if not isinstance(block, dict):
            raise ConfigError(f"{key}.rules.{rule}: expected a table, got {block!r}")
    # a basket's rules: the [rules] defaults, key by key overridden by its own
    merged = {r: {**default_rules.get(r, {}), **overrides.get(r, {})} for r in {*default_rules, *overrides}}
    return _validate(Basket, {"title": name, **raw, "name": name, "rules": merged}, key)


def _destination(name: str, raw: Any) -> Destination:
    if not NAME_RE.match(name):
        raise ConfigError(f"destinations.{name}: a destination's name is 1-32 lower-case letters, digits, '-' or '_'")
    if not isinstance(raw, dict):
        raise ConfigError(f"destinations.{name}: expected a table, got {raw!r}")
    if "name" in raw:
        raise ConfigError(f"destinations.{name}.name: unknown key (the table's name is the destination's)")
    return _validate(Destination, {**raw, "name": name}, f"destinations.{name}")


def parse_config(data: dict, origin: str = "<config>") -> MonitorConfig:
    """A [baskets.<name>] table per basket; a config written for the single [watchlist] loads as one basket (the
    AI leaders', named "ai": the only basket there was), with [rules] as its thresholds."""
    try:
        data = dict(data)
        baskets_raw, watch_raw = data.pop("baskets", None), data.pop("watchlist", None)
        destinations_raw = data.pop("destinations", {})
        if baskets_raw is not None and watch_raw is not None:
            raise ConfigError(
                "watchlist: a config has either [watchlist] (one basket) or [baskets.<name>] tables, not both; "
                "move [watchlist] into [baskets.ai] with a title"
            )
        if not isinstance(destinations_raw, dict):
            raise ConfigError(f"destinations: expected [destinations.<name>] tables, got {destinations_raw!r}")
        base = _validate(MonitorConfig, data, "")
        if baskets_raw is None:
            watch = _validate(Watchlist, {} if watch_raw is None else watch_raw, "watchlist")
            baskets = (ai_leaders(base.rules, tickers=watch.tickers, benchmark=watch.benchmark),)
        elif not isinstance(baskets_raw, dict) or not baskets_raw:
            raise ConfigError("baskets: expected at least one [baskets.<name>] table")
        else:
            baskets = tuple(_basket(name, raw, data.get("rules", {})) for name, raw in baskets_raw.items())
        destinations = tuple(_destination(n, raw) for n, raw in destinations_raw.items())
        cfg = base.model_copy(update={"baskets": baskets, "destinations": destinations})  # each validated above
        _check(cfg, legacy=baskets_raw is None)
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    return cfg


def config_path(env: dict | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("MARKET_MONITOR_CONFIG") or DEFAULT_CONFIG)


def load_config(path: str | os.PathLike | None = None) -> MonitorConfig:
    path = Path(path) if path else config_path()
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found (set MARKET_MONITOR_CONFIG)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a UTF-8 text file (byte {exc.start}); expected TOML") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    return parse_config(data, str(path))


@dataclass(frozen=True)
class Runtime:
    """Where the pipeline reads and writes; from the environment (each also a CLI flag)."""

    db_path: Path
    source: str
    replay_dir: Path | None

    @property
    def data_dir(self) -> Path:
        return self.db_path.parent

    @property
    def analytics_path(self) -> Path:
        return analytics_path(self.db_path)

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "yfinance-cache"

    def source_client(self, cfg: MonitorConfig):
        return build_source(self.source, self.replay_dir, self.cache_dir, cfg.history.fetch_timeout_seconds)

    @classmethod
    def from_env(cls, env: dict | None = None) -> Runtime:
        env = os.environ if env is None else env
        source = env.get("MARKET_MONITOR_SOURCE") or DEFAULT_SOURCE
        if source not in SOURCES:
            raise ConfigError(f"MARKET_MONITOR_SOURCE: {source!r} is not one of {', '.join(SOURCES)}")
        replay = env.get("MARKET_MONITOR_REPLAY_DIR")
        if SOURCES[source].needs_folder and not replay:
            raise ConfigError(f"MARKET_MONITOR_REPLAY_DIR: required when MARKET_MONITOR_SOURCE={source}")
        return cls(db_path=db_path_from_env(env), source=source, replay_dir=Path(replay).resolve() if replay else None)


def db_path_from_env(env: dict | None = None) -> Path:
    """MARKET_MONITOR_DB, or data/market_monitor.duckdb; all the read-only commands need to know."""
    env = os.environ if env is None else env
    return Path(env.get("MARKET_MONITOR_DB") or "data/market_monitor.duckdb").resolve()


def analytics_path(db_path: Path) -> Path:
    """The analysts' copy beside the live database."""
    return db_path.with_name(db_path.stem + ".analytics.duckdb")
