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
    return con.execute(sql("models/metrics_rows"), {"start": start, "end": end}).fetchall()[0][0]


def compute_watchlist(con, start: dt.date, end: dt.date, baskets) -> int:
    """Every basket's watchlist_daily rows for [start, end], in one statement; n_names_down counts against each
    basket's own breadth threshold (its sell-off rule's per-name return)."""
    members = [(b.name, t, b.benchmark, rules.breadth_threshold(b)) for b in baskets for t in b.tickers]
    names, tickers, benchmarks, thresholds = (list(column) for column in zip(*members))
    params = {"baskets": names, "tickers": tickers, "benchmarks": benchmarks, "name_returns": thresholds}
    execute_script(con, "models/watchlist_daily", {"start": start, "end": end, **params})
    return con.execute(sql("models/watchlist_rows"), {"start": start, "end": end}).fetchall()[0][0]
