"""Metrics: metrics_daily per ticker and session (each symbol once), watchlist_daily per basket and session
(SQL in sql/models/)."""

from __future__ import annotations

import datetime as dt

from pipelines import calendar, rules
from pipelines.calendar import ANNOUNCED_WITHIN_DAYS, SESSIONS_52W
from pipelines.sqlfiles import execute_script, sql

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
