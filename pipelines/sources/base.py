"""The source interface. A source returns tidy frames; storage and metrics never see its wire format."""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import pandas as pd

PRICE_COLUMNS = ["ticker", "date", "open", "high", "low", "close", "adj_close", "volume"]
SPLIT_COLUMNS = ["ticker", "date", "ratio"]
DIVIDEND_COLUMNS = ["ticker", "ex_date", "dividend"]
SHARES_COLUMNS = ["ticker", "date", "shares"]
EARNINGS_COLUMNS = ["ticker", "period_end", "reported_date", "eps_diluted"]

T = TypeVar("T")


class SourceError(RuntimeError):
    """A source could not deliver; the message names what failed."""


class RateLimited(SourceError):
    """The source rate-limits us (Yahoo's 429): retried after minutes, not seconds (a quick retry only extends
    the block)."""


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


@dataclass
class PriceBatch:
    prices: pd.DataFrame
    splits: pd.DataFrame = field(default_factory=lambda: empty(SPLIT_COLUMNS))
    dividends: pd.DataFrame = field(default_factory=lambda: empty(DIVIDEND_COLUMNS))
    missing: list[str] = field(default_factory=list)  # requested symbols that came back without a bar
    problems: list[str] = field(default_factory=list)  # what was dropped and why, e.g. a bar on a closed day


@dataclass
class Fundamentals:
    shares: pd.DataFrame
    earnings: pd.DataFrame
    problems: list[str] = field(default_factory=list)  # "AMD shares: no data", reported, never hidden
    # Each quarter's weighted average basic shares (income statement), dated at the quarter's end: the fallback
    # for the dates before a ticker's first share count (or all dates, when it has none).
    average_shares: pd.DataFrame = field(default_factory=lambda: empty(SHARES_COLUMNS))
    # Whether `shares` are dated the day they became public (Yahoo's share-count series); False: dated at a period
    # end or a filing's cover, public only with the announcement after it (metrics_daily.sql).
    counts_public_on_date: bool = False


class Source(Protocol):
    """A source carries its own policies: how old stored fundamentals may get, and which session is tonight."""

    name: str
    needs_folder: bool  # reads a snapshot folder (MARKET_MONITOR_REPLAY_DIR)

    @classmethod
    def from_settings(cls, folder: Path | None, cache_dir: Path, timeout: float) -> Source: ...

    def fundamentals_max_age(self, cfg) -> int:
        """Days stored shares/EPS count as fresh before they are fetched again."""

    def tonight(self, end: dt.date) -> dt.date:
        """The session a run ending on `end` notifies as tonight's (a run of the past notifies nothing)."""

    def latest_session(self, benchmark: str) -> dt.date:
        """The newest session this source can deliver: what a run without --end covers."""

    def fetch_prices(self, symbols: list[str], start: dt.date, end: dt.date) -> PriceBatch: ...

    def no_bars(self, sessions: list[dt.date]) -> Exception:
        """The error for sessions of a run that no symbol has a bar for: transient for a live source (it
        publishes late), final for a snapshot."""

    def fetch_fundamentals(self, symbols: list[str], start: dt.date, end: dt.date) -> Fundamentals: ...


def with_deadline(fn: Callable[[], T], seconds: float, what: str) -> T:
    """Run fn with a wall-clock bound; yfinance's own timeouts do not cover its cookie/crumb requests.

    The worker is a daemon thread: a hung request cannot keep the process alive after we give up on it.
    """
    out: queue.Queue = queue.Queue(maxsize=1)

    def work() -> None:
        try:
            out.put((True, fn()))
        except BaseException as exc:  # handed to the caller below
            out.put((False, exc))

    threading.Thread(target=work, name=f"fetch:{what}", daemon=True).start()
    try:
        ok, value = out.get(timeout=seconds)
    except queue.Empty:
        raise SourceError(f"{what}: no answer within {seconds:g} s") from None
    if not ok:
        if isinstance(value, SourceError):
            raise value
        first = str(value).strip().splitlines()[0] if str(value).strip() else ""  # one line, not a page
        raise SourceError(f"{what}: {type(value).__name__}: {first}") from value
    return value
