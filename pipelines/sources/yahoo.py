"""The live source: yfinance (Yahoo Finance).

Prices: `yf.download` in chunks, several at a time; shares and EPS per symbol, refreshed when stale.
yfinance never raises from `download`: a failed symbol comes back as NaN columns, so every field is picked by
name and every symbol without a bar is reported as missing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import re
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from pipelines import calendar
from pipelines.calendar import ANNOUNCED_WITHIN_DAYS
from pipelines.fmt import some
from pipelines.sources import yfinance_cache
from pipelines.sources.base import (
    DIVIDEND_COLUMNS,
    EARNINGS_COLUMNS,
    PRICE_COLUMNS,
    SHARES_COLUMNS,
    SPLIT_COLUMNS,
    Fundamentals,
    PriceBatch,
    RateLimited,
    SourceError,
    empty,
    with_deadline,
)
from pipelines.sources.chart_replies import NOT_FOUND, RATE_LIMITED, ChartReplies

log = logging.getLogger(__name__)

FIELDS = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Adj Close": "adj_close", "Volume": "volume"}
_cache_dirs_set: set[str] = set()
# The HTTP session yfinance uses; None = the one yfinance makes itself (curl_cffi, impersonating Chrome). Tests set
# requests.Session here so a fake Yahoo served with `responses` answers the real graph's requests (curl_cffi traffic
# cannot be intercepted). Either way its chart replies are recorded (chart_replies.py).
SESSION_FACTORY = None


def quiet(yf) -> None:
    """yfinance's own noise off the terminal, once it is imported: the pandas deprecations raised inside its code
    (~200 lines on a failed night; its import puts a 'default' filter for them in front, so ours must come after)
    and its log lines, which Python's last-resort handler printed (36 "Cookie/crumb fetch failed" on a night without
    network). What they mean reaches the run as named causes (`yfinance_log`, chart_replies.py)."""
    for category in (DeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category, module="yfinance")
    logger = logging.getLogger("yfinance")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def default_session():
    from curl_cffi import requests as curl_requests

    return curl_requests.Session(impersonate="chrome")  # as yfinance's own new_session()


FETCH_WORKERS = 8  # downloads in flight at once: Yahoo's latency, not our CPU, bounds a night's fetch
CHUNK_SIZE = 25  # symbols per download


class NoBarsYet(SourceError):
    """Yahoo has nothing for a session yet (it publishes a while after the close): retried later."""


# What yfinance logs when a request fails, and the cause it means; checked in order.
CAUSES = [
    (
        re.compile(
            r"Could not resolve host|Failed to resolve|Name or service not known|NameResolution|getaddrinfo|"
            r"DNSError|nodename nor servname|curl: \(6\)",
            re.I,
        ),
        "cannot resolve host (no network or DNS)",
    ),
    (
        re.compile(r"Connection refused|ConnectionRefused|Failed to connect|Could not connect|curl: \(7\)", re.I),
        "connection refused (cannot reach Yahoo)",
    ),
    (
        re.compile(r"Too Many Requests|Rate ?limit|YFRateLimitError|HTTP Error 429|429 Client Error", re.I),
        RATE_LIMITED,
    ),
    (re.compile(r"timed out|timeout|curl: \(28\)", re.I), "timed out"),
    (
        re.compile(r"possibly delisted|No data found|symbol may be delisted", re.I),
        NOT_FOUND,
    ),
    (re.compile(r"Expecting value|JSONDecodeError", re.I), "malformed reply"),
    (re.compile(r"database is locked", re.I), "yfinance's cache was busy (database is locked)"),
    (
        re.compile(r"DatabaseError|file is not a database|database disk image is malformed", re.I),
        "yfinance's cache (data/yfinance-cache beside the database) cannot be read: the next run moves it aside",
    ),
]


def network_cause(lines: list[str]) -> str | None:
    """The first known cause in what yfinance logged (it never raises from download)."""
    for pattern, cause in CAUSES:
        if any(pattern.search(line) for line in lines):
            return cause
    return None


@contextlib.contextmanager
def yfinance_log() -> Iterator[list[str]]:
    """Collect what yfinance logs meanwhile (its only report of why a symbol failed)."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            text = record.getMessage().strip()
            if text:
                lines.append(text.splitlines()[0])  # not tracebacks: their line numbers look like statuses

    # INFO, not DEBUG: at DEBUG yfinance turns its download threads off. Failure causes are logged at ERROR.
    logger, handler = logging.getLogger("yfinance"), Collect(level=logging.INFO)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _column(frame: pd.DataFrame, field: str, symbol: str) -> pd.Series | None:
    if isinstance(frame.columns, pd.MultiIndex):
        key = (field, symbol)
        return frame[key] if key in frame.columns else None
    return frame[field] if field in frame.columns else None


def tidy_download(frame: pd.DataFrame | None, symbols: list[str]) -> PriceBatch:
    """yf.download(..., auto_adjust=False, actions=True) output -> tidy prices, splits and dividends."""
    if frame is None or frame.empty:
        return PriceBatch(prices=empty(PRICE_COLUMNS), missing=list(symbols))
    dates = [pd.Timestamp(ix).date() for ix in frame.index]
    prices, splits, dividends, missing = [], [], [], []
    for symbol in symbols:
        close = _column(frame, "Close", symbol)
        if close is None or close.isna().all():
            missing.append(symbol)
            continue
        part = pd.DataFrame({"ticker": symbol, "date": dates})
        for field, name in FIELDS.items():
            col = _column(frame, field, symbol)
            part[name] = col.to_numpy(dtype="float64") if col is not None else math.nan
        # A row without a positive, finite close is not a bar: drop it here, the bar check reports the gap.
        good = part["close"].notna() & (part["close"] > 0) & part["close"].map(math.isfinite)
        part = part[good].copy()
        part["adj_close"] = part["adj_close"].where(part["adj_close"] > 0, part["close"])
        part["volume"] = part["volume"].round().astype("Int64")
        prices.append(part[PRICE_COLUMNS])
        for field, out, name in (("Stock Splits", splits, "ratio"), ("Dividends", dividends, "dividend")):
            col = _column(frame, field, symbol)
            if col is None:
                continue
            hits = col.fillna(0) > 0
            date_col = "date" if name == "ratio" else "ex_date"
            out.append(
                pd.DataFrame(
                    {
                        "ticker": symbol,
                        date_col: [d for d, h in zip(dates, hits) if h],
                        name: col[hits].to_numpy(dtype="float64"),
                    }
                )
            )
    return PriceBatch(
        prices=pd.concat(prices, ignore_index=True) if prices else empty(PRICE_COLUMNS),
        splits=pd.concat(splits, ignore_index=True) if splits else empty(SPLIT_COLUMNS),
        dividends=pd.concat(dividends, ignore_index=True) if dividends else empty(DIVIDEND_COLUMNS),
        missing=missing,
    )


def drop_closed_days(batch: PriceBatch) -> PriceBatch:
    """Yahoo sometimes sends a bar for a day the NYSE was closed (^IXIC on the 2025-01-09 closure): one such bar
    must not sink the whole night, so it is dropped and named. (Replay stays strict: a snapshot is our file.)"""
    if batch.prices.empty:
        return batch
    closed = ~batch.prices["date"].map(calendar.is_session)
    batch.problems += [
        f"{t} {d}: bar on a day the NYSE was closed, dropped"
        for t, d in batch.prices.loc[closed, ["ticker", "date"]].itertuples(index=False)
    ]
    batch.prices = batch.prices[~closed].reset_index(drop=True)
    return batch


def concat_or_empty(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """The non-empty frames as one (the parts of a fetch done in pieces), or an empty frame with `columns`."""
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else empty(columns)


def combine_batches(parts: list[PriceBatch]) -> PriceBatch:
    """The chunks of one download as one batch."""
    return PriceBatch(
        prices=concat_or_empty([p.prices for p in parts], PRICE_COLUMNS),
        splits=concat_or_empty([p.splits for p in parts], SPLIT_COLUMNS),
        dividends=concat_or_empty([p.dividends for p in parts], DIVIDEND_COLUMNS),
        missing=[s for p in parts for s in p.missing],
        problems=[x for p in parts for x in p.problems],
    )


def merge_batches(first: PriceBatch, retry: PriceBatch) -> PriceBatch:
    """`first` completed by a retry of its missing symbols."""

    def cat(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([x for x in (a, b) if len(x)], ignore_index=True) if len(b) else a

    return PriceBatch(
        prices=cat(first.prices, retry.prices),
        splits=cat(first.splits, retry.splits),
        dividends=cat(first.dividends, retry.dividends),
        missing=retry.missing,
        problems=first.problems + retry.problems,
    )


def tidy_shares(series: pd.Series | None, symbol: str, splits: pd.Series | None = None) -> pd.DataFrame:
    """get_shares_full output -> one count a day, spikes dropped, on today's split basis."""
    if series is None or len(series) == 0:
        return empty(SHARES_COLUMNS)
    s = pd.Series(series.to_numpy(dtype="float64"), index=[pd.Timestamp(i).date() for i in series.index])
    s = s[s > 0].groupby(level=0).last().sort_index()
    if splits is not None and len(splits):  # first onto today's basis, so a split is no spike
        for when, ratio in splits.items():
            day = pd.Timestamp(when).date()
            if ratio and ratio > 0:
                s[s.index < day] *= float(ratio)
    # Yahoo's share history has one-day spikes (e.g. a class counted twice): drop points far from their neighbours.
    median = s.rolling(5, center=True, min_periods=1).median()
    s = s[(s / median - 1).abs() <= 0.25]
    return pd.DataFrame({"ticker": symbol, "date": list(s.index), "shares": s.to_numpy()})


def tidy_average_shares(income: pd.DataFrame | None, symbol: str) -> pd.DataFrame:
    """quarterly_income_stmt's 'Basic Average Shares' row -> one row a quarter, dated at its end: the fallback for
    dates before the first share count (a quarter's average, not a count on a date)."""
    if income is None or income.empty or "Basic Average Shares" not in income.index:
        return empty(SHARES_COLUMNS)
    row = income.loc["Basic Average Shares"].dropna()
    row = row[row > 0]
    return pd.DataFrame(
        {
            "ticker": symbol,
            "date": [pd.Timestamp(p).date() for p in row.index],
            "shares": row.to_numpy(dtype="float64"),
        },
        columns=SHARES_COLUMNS,
    )


def tidy_earnings(income: pd.DataFrame | None, symbol: str, dates: pd.DataFrame | None = None) -> pd.DataFrame:
    """quarterly_income_stmt's 'Diluted EPS' row (GAAP) -> one row a quarter, with its announcement date.

    The announcement is the first earnings date in `get_earnings_dates` within ANNOUNCED_WITHIN_DAYS after period
    end (further away it is the next quarter's: a quarter missing from the list must not take it); unknown otherwise
    (the metrics then apply a conservative lag).
    """
    if income is None or income.empty or "Diluted EPS" not in income.index:
        return empty(EARNINGS_COLUMNS)
    eps = income.loc["Diluted EPS"].dropna()
    announced = sorted(pd.Timestamp(d).date() for d in (dates.index if dates is not None else []))
    rows = []
    for period, value in eps.items():
        end = pd.Timestamp(period).date()
        after = [d for d in announced if end < d <= end + dt.timedelta(days=ANNOUNCED_WITHIN_DAYS)]
        rows.append(
            {
                "ticker": symbol,
                "period_end": end,
                "reported_date": after[0] if after else None,
                "eps_diluted": float(value),
            }
        )
    return pd.DataFrame(rows, columns=EARNINGS_COLUMNS)


class YFinanceSource:
    """Yahoo through yfinance: fundamentals refreshed after fundamentals.refresh_after_days, and tonight is the
    latest completed NYSE session."""

    name = "yfinance"
    needs_folder = False

    @classmethod
    def from_settings(cls, folder: Path | None, cache_dir: Path, timeout: float) -> YFinanceSource:
        return cls(cache_dir, timeout=timeout, session=(SESSION_FACTORY or default_session)())

    def fundamentals_max_age(self, cfg) -> int:
        return cfg.fundamentals.refresh_after_days

    def tonight(self, end: dt.date) -> dt.date:
        return calendar.latest_completed_session()

    def latest_session(self, benchmark: str) -> dt.date:
        return calendar.latest_completed_session()

    def __init__(
        self,
        cache_dir: Path | str,
        timeout: float = 120.0,
        session=None,
        missing_retries: int = 2,
        missing_retry_delay: float = 3.0,
    ):
        import yfinance as yf

        quiet(yf)
        self.yf = yf
        self.timeout = timeout
        self.missing_retries, self.missing_retry_delay = missing_retries, missing_retry_delay
        self.replies = ChartReplies()  # what Yahoo answered each symbol: causes, and the bars' raw stamps
        self.session = self.replies.watch(session) if session is not None else None
        cache = str(Path(cache_dir).resolve())
        self.cache_notes: list[str] = []  # reported with the first prices fetched
        if cache not in _cache_dirs_set:  # must happen before yfinance's first request
            Path(cache).mkdir(parents=True, exist_ok=True)
            self.cache_notes = yfinance_cache.reset_unusable(Path(cache))
            yf.set_tz_cache_location(cache)
            _cache_dirs_set.add(cache)

    def _download_chunk(self, chunk: list[str], start: dt.date, end: dt.date) -> tuple[PriceBatch, str | None]:
        """One yf.download of a few symbols, bounded: a chunk that does not answer in time comes back missing
        (retried with the others' failures), it does not take the night's other chunks with it."""

        def download():
            return self.yf.download(
                chunk,
                start=start.isoformat(),
                end=(end + dt.timedelta(days=1)).isoformat(),
                auto_adjust=False,
                actions=True,
                progress=False,
                threads=False,
                group_by="column",
                multi_level_index=True,
                timeout=min(30, self.timeout),
                session=self.session,
            )

        self.replies.forget(chunk)
        try:
            frame = with_deadline(download, self.timeout, f"yfinance prices {some(chunk, 3)}")
        except SourceError as exc:
            return PriceBatch(prices=empty(PRICE_COLUMNS), missing=list(chunk)), str(exc)
        return self.replies.check_dates(tidy_download(frame, chunk)), None

    def _download(self, symbols: list[str], start: dt.date, end: dt.date) -> tuple[PriceBatch, str | None]:
        """All symbols in chunks of CHUNK_SIZE, FETCH_WORKERS downloads at a time (yfinance's own download threads
        stop at the CPU count, two here): the tidy batch and the cause of what failed."""
        from yfinance import data

        data.YfData.cache_get.cache_clear()  # a retry must ask Yahoo again, not replay a cached error reply
        size = min(CHUNK_SIZE, -(-len(symbols) // FETCH_WORKERS))  # a small watchlist still uses every worker
        chunks = [symbols[i : i + size] for i in range(0, len(symbols), size)]
        with (
            yfinance_log() as log_lines,
            ThreadPoolExecutor(min(FETCH_WORKERS, len(chunks)), thread_name_prefix="yahoo") as pool,
        ):
            results = list(pool.map(lambda c: self._download_chunk(c, start, end), chunks))
        deadlines = [cause for _b, cause in results if cause]
        batch = combine_batches([b for b, _cause in results])
        return drop_closed_days(batch), network_cause(log_lines) or (deadlines[0] if deadlines else None)

    def fetch_prices(self, symbols: list[str], start: dt.date, end: dt.date) -> PriceBatch:
        batch, cause = self._download(symbols, start, end)
        batch.problems[:0], self.cache_notes = self.cache_notes, []
        if len(batch.missing) == len(symbols):
            what = f"Yahoo returned no prices for any of {some(symbols, 20)} ({start}..{end})"
            # what Yahoo's replies said outranks what yfinance logged ("possibly delisted" for a 503 too)
            cause = self.replies.common_cause(symbols) or cause
            if cause and cause.startswith("rate limited"):
                raise RateLimited(f"{what}: {cause}")
            raise SourceError(f"{what}: {cause or 'no reason given'}")
        # Symbols that failed alone (429, 5xx, a bad reply, a chunk out of time) are asked again, with a growing
        # pause (rate limiting eases off), before the step gives up on them.
        for attempt in range(self.missing_retries):
            if not batch.missing:
                break
            time.sleep(self.missing_retry_delay * 2**attempt)
            again, cause = self._download(batch.missing, start, end)
            batch = merge_batches(batch, again)
        batch.problems += [
            f"{symbol}: no bars from Yahoo ({self.replies.cause(symbol) or cause or 'no reason given'})"
            for symbol in batch.missing
        ]
        return batch

    def no_bars(self, sessions: list[dt.date]) -> Exception:
        return NoBarsYet(
            f"Yahoo has no bars at all for {some(sessions, 5)} yet (it publishes late after the close); "
            "the session is retried"
        )

    def fetch_fundamentals(self, symbols: list[str], start: dt.date, end: dt.date) -> Fundamentals:
        """Each symbol's share counts and EPS (three or four requests a symbol), FETCH_WORKERS symbols at a time."""
        wanted = [s for s in symbols if not s.startswith("^")]  # an index has no shares or earnings
        with ThreadPoolExecutor(max(1, min(FETCH_WORKERS, len(wanted))), thread_name_prefix="yahoo-f") as pool:
            results = list(pool.map(lambda s: self._fundamentals_of(s, start), wanted))
        return Fundamentals(
            shares=concat_or_empty([r.shares for r in results], SHARES_COLUMNS),
            earnings=concat_or_empty([r.earnings for r in results], EARNINGS_COLUMNS),
            problems=[p for r in results for p in r.problems],
            average_shares=concat_or_empty([r.average_shares for r in results], SHARES_COLUMNS),
            counts_public_on_date=True,  # get_shares_full: each count dated when Yahoo published it
        )

    def _fundamentals_of(self, symbol: str, start: dt.date) -> Fundamentals:
        """One symbol's part; what failed is a problem, its frames empty."""
        problems: list[str] = []
        shares = empty(SHARES_COLUMNS)
        ticker = self.yf.Ticker(symbol, session=self.session)
        try:
            counts = with_deadline(
                lambda t=ticker: t.get_shares_full(start=start - dt.timedelta(days=550)),
                self.timeout,
                f"yfinance shares {symbol}",
            )
            splits = with_deadline(lambda t=ticker: t.splits, self.timeout, f"yfinance splits {symbol}")
            if splits is None:
                # yfinance answers None when the full-history chart behind .splits failed: the counts' split
                # basis is then unknown, and storing them could overwrite correct ones with old-basis counts.
                problems.append(
                    f"{symbol} shares: Yahoo's split history did not load; counts not stored "
                    "(their split basis is unknown)"
                )
            else:
                shares = tidy_shares(counts, symbol, splits)
                if shares.empty:
                    problems.append(f"{symbol} shares: Yahoo returned none")
        except SourceError as exc:
            problems.append(str(exc))
        try:
            income = with_deadline(
                lambda t=ticker: t.quarterly_income_stmt, self.timeout, f"yfinance income statement {symbol}"
            )
        except SourceError as exc:
            problems.append(str(exc))
            return Fundamentals(shares, empty(EARNINGS_COLUMNS), problems)
        try:
            dates = with_deadline(
                lambda t=ticker: t.get_earnings_dates(limit=12), self.timeout, f"yfinance earnings dates {symbol}"
            )
        except SourceError as exc:  # the EPS still counts, only later (conservative lag)
            problems.append(str(exc))
            dates = None
        earnings = tidy_earnings(income, symbol, dates)
        if earnings.empty:
            problems.append(f"{symbol} EPS: Yahoo returned no diluted EPS")
        # The quarters' average shares fill what the counts do not reach (averages for dates already counted are
        # not stored). On the statement's basis, as the EPS beside them: restated by the store when a split comes.
        return Fundamentals(shares, earnings, problems, tidy_average_shares(income, symbol))
