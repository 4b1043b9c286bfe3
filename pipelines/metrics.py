"""Metrics: metrics_daily per ticker and session (each symbol once), watchlist_daily per basket and session
(SQL in sql/models/)."""

from __future__ import annotations

import datetime as dt

from pipelines import calendar, rules
from pipelines.sqlfiles import execute_script, sql

SESSIONS_52W = 252  # "52 weeks" in sessions: the drawdown_52w window, and the warm-up a new symbol is fetched with
# A quarter is announced within this many days of its end (10-K deadline: 60; the next quarter's announcement comes
# 90+ days after): an announcement further away is another quarter's, never this one's.
ANNOUNCED_WITHIN_DAYS = 75
LOOKBACK_SESSIONS = SESSIONS_52W + 5  # the 52-week high of the oldest session, plus the 5-session lag


def compute_metrics(con, start: dt.date, end: dt.date, eps_lag_days: int) -> int:
    """Recompute metrics_daily for [start, end] (sessions); returns the rows written."""
    first = calendar.sessions(start, end)[0]
    execute_script(
        con,
        "models/metrics_daily",
        {
            "start": start,
            "end": end,
            "eps_lag": eps_lag_days,
            "announced_within": ANNOUNCED_WITHIN_DAYS,
            "sessions_52w": SESSIONS_52W,
            "lookback": calendar.sessions_back(first, LOOKBACK_SESSIONS),
        },
    )
    return con.execute(sql("models/metrics_rows"), {"start": start, "end": end}).fetchone()[0]


def compute_watchlist(con, start: dt.date, end: dt.date, baskets) -> int:
    """Every basket's watchlist_daily rows for [start, end]; n_names_down counts against each basket's own
    breadth threshold (its sell-off rule's per-name return)."""
    for b in baskets:
        execute_script(
            con,
            "models/watchlist_daily",
            {
                "basket": b.name,
                "start": start,
                "end": end,
                "tickers": b.tickers,
                "benchmark": b.benchmark,
                "name_return_5d": rules.breadth_threshold(b),
            },
        )
    return con.execute(sql("models/watchlist_rows"), {"start": start, "end": end}).fetchone()[0]
