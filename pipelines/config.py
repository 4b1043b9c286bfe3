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
    watchlist: Watchlist = field(default_factory=Watchlist)
    history: History = field(default_factory=History)
    fundamentals: Fundamentals = field(default_factory=Fundamentals)
    rules: Rules = field(default_factory=Rules)
    alerts: Alerts = field(default_factory=Alerts)
    schedule: Schedule = field(default_factory=Schedule)

    @property
    def symbols(self) -> list[str]:
        """Watchlist plus benchmark: everything the sources fetch."""
        return [*self.watchlist.tickers, self.watchlist.benchmark]


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
    if typ is str:
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


def _check_symbols(cfg: MonitorConfig) -> None:
    seen: set[str] = set()
    for i, sym in enumerate(cfg.symbols):
        key = "watchlist.benchmark" if i == len(cfg.watchlist.tickers) else f"watchlist.tickers[{i}]"
        if not TICKER_RE.match(sym):
            raise ConfigError(f"{key}: {sym!r} is not a ticker symbol (upper case, e.g. NVDA or ^IXIC)")
        if sym in seen:
            raise ConfigError(f"{key}: duplicate ticker {sym!r}")
        seen.add(sym)
    if not cfg.watchlist.tickers:
        raise ConfigError("watchlist.tickers: must name at least one ticker")
    for rule in RULES:
        problem = rule.validate(getattr(cfg.rules, rule.name), cfg) if rule.validate else None
        if problem:
            raise ConfigError(f"rules.{rule.name}.{problem}")
    if cfg.history.refetch_sessions < 1 or cfg.history.fetch_timeout_seconds <= 0:
        raise ConfigError("history: refetch_sessions must be >= 1 and fetch_timeout_seconds > 0")
    from pipelines import calendar

    known = calendar.all_sessions()
    earliest = known[252]  # the warm-up year before start must be on the calendar too
    if not earliest <= cfg.history.start <= known[-1]:
        raise ConfigError(
            f"history.start: {cfg.history.start} is outside the NYSE calendar this tool knows "
            f"({earliest} .. {known[-1]}, after a year of warm-up)"
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


def parse_config(data: dict, origin: str = "<config>") -> MonitorConfig:
    try:
        cfg = _build(MonitorConfig, data, "")
        _check_symbols(cfg)
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
