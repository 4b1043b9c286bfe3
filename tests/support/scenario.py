"""A market built session by session in a real DuckDB file, then run through metrics and rules (no Dagster)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from pipelines import calendar
from pipelines.channels.notify import notify
from pipelines.config import MonitorConfig
from pipelines.domain import evaluation, metrics
from pipelines.sources.base import PriceBatch
from pipelines.storage import store

NOW = dt.datetime(2026, 1, 5, 23, 0)


class Market:
    def __init__(self, path: Path, tickers: list[str], benchmark: str = "^IXIC", cfg: MonitorConfig | None = None):
        self.con = store.connect(path)
        store.prepare(self.con)
        base = cfg or MonitorConfig()
        self.cfg = base.replace(baskets=(base.baskets[0].replace(tickers=list(tickers), benchmark=benchmark),))

    def with_rules(self, **sections) -> Market:
        self.cfg = self.cfg.with_rules(**sections)
        return self

    def prices(
        self,
        ticker: str,
        closes: dict[dt.date, float],
        splits: dict[dt.date, float] | None = None,
        fetched_at: dt.datetime = NOW,
    ) -> None:
        frame = pd.DataFrame(
            [
                {"ticker": ticker, "date": d, "open": c, "high": c, "low": c, "close": c, "adj_close": c, "volume": 1}
                for d, c in closes.items()
            ]
        )
        split_frame = pd.DataFrame(
            [{"ticker": ticker, "date": d, "ratio": r} for d, r in (splits or {}).items()],
            columns=["ticker", "date", "ratio"],
        )
        store.store_prices(self.con, PriceBatch(frame, splits=split_frame), "test", fetched_at)

    def many_series(self, start: str, values: dict[str, list[float]], shares: dict[str, float]) -> list[dt.date]:
        """Closes for several tickers on consecutive sessions from `start`, and one share count each (dated
        2024-01-02), stored as one batch each, as a night's load stores them (cheaper than a load per ticker)."""
        n = max(len(v) for v in values.values())
        days = calendar.sessions(start, calendar.sessions_back(start, -n - 5))[:n]
        frame = pd.DataFrame(
            [
                {"ticker": t, "date": d, "open": c, "high": c, "low": c, "close": c, "adj_close": c, "volume": 1}
                for t, closes in values.items()
                for d, c in zip(days, closes)
            ]
        )
        store.store_prices(self.con, PriceBatch(frame), "test", NOW)
        counts = pd.DataFrame([{"ticker": t, "date": dt.date(2024, 1, 2), "shares": n} for t, n in shares.items()])
        no_eps = pd.DataFrame(columns=["ticker", "period_end", "reported_date", "eps_diluted"])
        # a scenario's counts are known on their dates (as Yahoo's are), not with a later announcement
        store.store_fundamentals(self.con, counts, no_eps, list(shares), "test", NOW, counts_public_on_date=True)
        return days

    def series(self, ticker: str, start: str, values: list[float]) -> list[dt.date]:
        """Closes on consecutive sessions from `start`."""
        days = calendar.sessions(start, calendar.sessions_back(start, -len(values) - 5))[: len(values)]
        self.prices(ticker, dict(zip(days, values)))
        return days

    def shares(self, ticker: str, day: str, shares: float, fetched_at: dt.datetime = NOW) -> None:
        frame = pd.DataFrame([{"ticker": ticker, "date": dt.date.fromisoformat(day), "shares": shares}])
        store.store_fundamentals(
            self.con,
            frame,
            pd.DataFrame(columns=["ticker", "period_end", "reported_date", "eps_diluted"]),
            [ticker],
            "test",
            fetched_at,
            counts_public_on_date=True,
        )

    def eps(self, ticker: str, quarters: list[tuple[str, str | None, float]]) -> None:
        frame = pd.DataFrame(
            [
                {
                    "ticker": ticker,
                    "period_end": dt.date.fromisoformat(p),
                    "reported_date": dt.date.fromisoformat(r) if r else None,
                    "eps_diluted": e,
                }
                for p, r, e in quarters
            ]
        )
        store.store_fundamentals(
            self.con, pd.DataFrame(columns=["ticker", "date", "shares"]), frame, [ticker], "test", NOW
        )

    def compute(self, start: dt.date, end: dt.date):
        metrics.compute_metrics(self.con, start, end, self.cfg.fundamentals.eps_report_lag_days)
        metrics.compute_watchlist(self.con, start, end, self.cfg.baskets)
        return evaluation.evaluate_range(self.con, self.cfg, start, end)

    def metric(self, ticker: str, day: dt.date, column: str):
        row = self.con.execute(
            f"SELECT {column} FROM metrics_daily WHERE ticker = ? AND date = ?", [ticker, day]
        ).fetchone()
        return None if row is None else row[0]

    def watch(self, day: dt.date) -> dict:
        frame = self.con.execute(
            "SELECT * FROM watchlist_daily WHERE basket = ? AND date = ?", [self.cfg.baskets[0].name, day]
        ).df()
        return frame.iloc[0].to_dict()


NAMES = ["AAA", "BBB", "CCC", "DDD"]


def crash_market(tmp_path, finals: dict, bench_final: float | None = 980.0, shares: float = 1e9, skip=(), uncounted=()):
    """Five flat sessions (names 100, benchmark 1000), then each name's and the benchmark's final close;
    `uncounted` names have no share count (no market cap)."""
    m = Market(tmp_path / "mm.duckdb", NAMES)
    values = {name: [100.0] * 5 + [finals.get(name, 100.0)] for name in NAMES}
    values["^IXIC"] = [1000.0] * 5 + ([bench_final] if bench_final is not None else [])
    days = m.many_series("2024-06-03", values, {n: shares for n in NAMES if n not in uncounted})
    for name in skip:
        m.con.execute("DELETE FROM prices_daily WHERE ticker = ? AND date = ?", [name, days[-1]])
    return m, days


def nightly(m: Market, day: dt.date, sender):
    """One evening's notification step over the market's database, as the alert asset runs it."""
    return notify(m.con, m.cfg, day, {day}, sender, run_url=None)
