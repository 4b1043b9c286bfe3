"""The monitor's configuration: one TOML file, validated before anything is written.

Every error names the key and the problem, e.g. ``history.refetch_sessions: expected a number, got 'x'``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines.bounds import at_least_zero
from pipelines.errors import PermanentError
from pipelines.rules import RULES, SEVERITIES
from pipelines.sources import DEFAULT_SOURCE, SOURCES, build_source

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "monitor.toml"
TICKER_RE = re.compile(r"^\^?[A-Z0-9][A-Z0-9.\-=]{0,14}$")


class ConfigError(PermanentError, ValueError):
    """A configuration problem; the message names the key."""


@dataclass(frozen=True)
class Watchlist:
    """The single-watchlist layout of configs written before baskets: read as one basket (see `_legacy`)."""

    tickers: list[str] = field(default_factory=lambda: ["NVDA", "PLTR", "ORCL", "META", "AMD", "CRWV"])
    benchmark: str = "^IXIC"


@dataclass(frozen=True)
class History:
    start: dt.date = dt.date(2024, 1, 2)
    refetch_sessions: int = at_least_zero(10, most=2520)  # ten years
    fetch_timeout_seconds: float = at_least_zero(120.0, most=3600)
    source_retries: int = at_least_zero(3, most=20)
    retry_delay_seconds: float = at_least_zero(30.0, most=3600)


@dataclass(frozen=True)
class Fundamentals:
    refresh_after_days: int = at_least_zero(7, most=3660)
    shares_stale_after_days: int = at_least_zero(200, most=3660)
    eps_stale_after_days: int = at_least_zero(130, most=3660)
    eps_report_lag_days: int = at_least_zero(60, most=366)
    max_share_change: float = at_least_zero(0.02, most=100)


# One [rules.<name>] table per rule that has settings, each the rule's own Settings class (pipelines/rules/).
Rules = dataclasses.make_dataclass(
    "Rules", [(r.name, r.settings, field(default_factory=r.settings)) for r in RULES if r.settings], frozen=True
)


ENV_SLACK = "slack"  # the destination of a basket that names none: Slack as the SLACK_* variables say (README)
KINDS = ("slack", "slack_webhook", "email")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
ENV_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")


@dataclass(frozen=True)
class Destination:
    """Where a basket's digests (or the ops notices) go. Secrets are never written here: `token_env`, `url_env` and
    `password_env` name the environment variables that hold them."""

    name: str = ENV_SLACK
    kind: str = "slack"  # slack (Web API: threads, charts) | slack_webhook | email (SMTP)
    channel: str | None = None  # slack: e.g. "#ai-selloff"; None: SLACK_CHANNEL
    token_env: str = "SLACK_BOT_TOKEN"  # slack
    url_env: str = "SLACK_WEBHOOK_URL"  # slack_webhook
    to: list[str] = field(default_factory=list)  # email: recipients
    sender: str = "market-monitor@localhost"  # email: From
    smtp_host_env: str = "SMTP_HOST"  # email: host[:port] of the SMTP server
    user_env: str = "SMTP_USER"  # email: login, when the server asks for one
    password_env: str = "SMTP_PASSWORD"


@dataclass(frozen=True)
class Basket:
    """A set of names watched together: its own benchmark, rule thresholds and destinations. A symbol held by
    several baskets is fetched, stored and computed once; basket-level rows carry the basket's name."""

    name: str = "ai"
    title: str = "AI leaders"  # how messages and the UI name it
    tickers: list[str] = field(default_factory=lambda: ["NVDA", "PLTR", "ORCL", "META", "AMD", "CRWV"])
    benchmark: str = "^IXIC"
    rules: Rules = field(default_factory=Rules)  # [rules] defaults, overridden by [baskets.<name>.rules]
    destinations: list[str] = field(default_factory=lambda: [ENV_SLACK])

    @property
    def symbols(self) -> list[str]:
        return [*self.tickers, self.benchmark]


@dataclass(frozen=True)
class Ops:
    # Run failures and failed checks; None: SLACK_OPS_CHANNEL, else the first basket's Slack channel (as before).
    destination: str | None = None


@dataclass(frozen=True)
class Alerts:
    repeat_interval_sessions: int = at_least_zero(5, most=2520)
    resolve_after_sessions: int = at_least_zero(2, most=252)
    notify_min_severity: str = "warning"


@dataclass(frozen=True)
class Schedule:
    cron: str = "30 18 * * 1-5"
    timezone: str = "America/New_York"
    # Daily assets count as stale when tonight's session is not in by this cron tick (Dagster freshness).
    fresh_by_cron: str = "0 21 * * 1-5"


@dataclass(frozen=True)
class MonitorConfig:
    baskets: tuple[Basket, ...] = (Basket(),)
    history: History = field(default_factory=History)
    fundamentals: Fundamentals = field(default_factory=Fundamentals)
    rules: Rules = field(default_factory=Rules)  # the defaults every basket starts from
    alerts: Alerts = field(default_factory=Alerts)
    schedule: Schedule = field(default_factory=Schedule)
    destinations: tuple[Destination, ...] = ()  # [destinations.<name>]; "slack" (the SLACK_* variables) is built in
    ops: Ops = field(default_factory=Ops)

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
        return cls(baskets=(Basket(tickers=list(tickers), benchmark=benchmark, rules=rules or Rules()),), **kw)

    def with_rules(self, **sections) -> MonitorConfig:
        """Every basket's (and the defaults') rule settings with these [rules.<name>] blocks replaced."""
        return dataclasses.replace(
            self,
            rules=dataclasses.replace(self.rules, **sections),
            baskets=tuple(dataclasses.replace(b, rules=dataclasses.replace(b.rules, **sections)) for b in self.baskets),
        )


def _coerce(key: str, value: Any, typ: Any) -> Any:
    if typ is bool or isinstance(value, bool):
        raise ConfigError(f"{key}: expected {getattr(typ, '__name__', typ)}, got {value!r}")
    if typ is int:
        if not isinstance(value, int):
            raise ConfigError(f"{key}: expected a whole number, got {value!r}")
        return value
    if typ is float:
        if not isinstance(value, int | float):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        if not math.isfinite(value):  # TOML allows nan and inf; a nan threshold silently never holds
            raise ConfigError(f"{key}: expected a finite number, got {value!r}")
        return float(value)
    if typ is str or typ == (str | None):
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return value
    if typ is dt.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(f"{key}: expected a date YYYY-MM-DD, got {value!r}") from None
    if typ == list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key}: expected a list of strings, got {value!r}")
        return list(value)
    raise AssertionError(f"unsupported config type {typ}")  # pragma: no cover


def _build(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix}: expected a table, got {data!r}")
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    bounds = {f.name: f.metadata for f in dataclasses.fields(cls)}
    for key in data:
        if key not in names:
            where = f"{prefix}.{key}" if prefix else key
            raise ConfigError(f"{where}: unknown key (known: {', '.join(sorted(names))})")
    kwargs = {}
    for name in names:
        if name not in data:
            continue
        key = f"{prefix}.{name}" if prefix else name
        typ = hints[name]
        if dataclasses.is_dataclass(typ):
            kwargs[name] = _build(typ, data[name], key)
        else:
            value = _coerce(key, data[name], typ)
            bound = bounds[name]
            if bound.get("sign") == ">=0" and value < 0:
                raise ConfigError(f"{key}: must not be negative, got {value!r}")
            if bound.get("sign") == "<=0" and value > 0:
                raise ConfigError(f"{key}: is a loss threshold and must be <= 0, got {value!r}")
            if bound.get("most") is not None and value > bound["most"]:
                raise ConfigError(f"{key}: must be at most {bound['most']:g}, got {value!r}")
            if bound.get("least") is not None and value < bound["least"]:
                raise ConfigError(f"{key}: must be at least {bound['least']:g}, got {value!r}")
            kwargs[name] = value
    return cls(**kwargs)


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


BASKET_KEYS = ("title", "tickers", "benchmark", "rules", "destinations")


def _basket(name: str, raw: Any, default_rules: dict) -> Basket:
    key = f"baskets.{name}"
    if not NAME_RE.match(name):
        raise ConfigError(f"{key}: a basket's name is 1-32 lower-case letters, digits, '-' or '_' (it keys its rows)")
    if not isinstance(raw, dict):
        raise ConfigError(f"{key}: expected a table, got {raw!r}")
    for k in raw:
        if k not in BASKET_KEYS:
            raise ConfigError(f"{key}.{k}: unknown key (known: {', '.join(sorted(BASKET_KEYS))})")
    for k in ("tickers", "benchmark"):
        if k not in raw:
            raise ConfigError(f"{key}.{k}: required")
    overrides = raw.get("rules", {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"{key}.rules: expected a table, got {overrides!r}")
    merged = {r: {**default_rules.get(r, {}), **overrides.get(r, {})} for r in {*default_rules, *overrides}}
    if any(not isinstance(v, dict) for v in overrides.values()):
        bad = next(r for r, v in overrides.items() if not isinstance(v, dict))
        raise ConfigError(f"{key}.rules.{bad}: expected a table, got {overrides[bad]!r}")
    rules = _build(Rules, merged, f"{key}.rules")
    plain = {k: v for k, v in raw.items() if k != "rules"}
    basket = _build(Basket, {"title": name, **plain}, key)
    return dataclasses.replace(basket, name=name, rules=rules)


def _destination(name: str, raw: Any) -> Destination:
    if not NAME_RE.match(name):
        raise ConfigError(f"destinations.{name}: a destination's name is 1-32 lower-case letters, digits, '-' or '_'")
    if isinstance(raw, dict) and "name" in raw:
        raise ConfigError(f"destinations.{name}.name: unknown key (the table's name is the destination's)")
    return dataclasses.replace(_build(Destination, raw, f"destinations.{name}"), name=name)


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
        base = _build(MonitorConfig, data, "")
        rules_raw = data.get("rules", {})
        if baskets_raw is None:
            watch = _build(Watchlist, {} if watch_raw is None else watch_raw, "watchlist")
            baskets = (Basket(tickers=watch.tickers, benchmark=watch.benchmark, rules=base.rules),)
        elif not isinstance(baskets_raw, dict) or not baskets_raw:
            raise ConfigError("baskets: expected at least one [baskets.<name>] table")
        else:
            baskets = tuple(_basket(name, raw, rules_raw) for name, raw in baskets_raw.items())
        cfg = dataclasses.replace(
            base,
            baskets=baskets,
            destinations=tuple(_destination(n, raw) for n, raw in destinations_raw.items()),
        )
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
