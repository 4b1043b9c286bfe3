"""Evaluating the rules over stored metrics: for the alerts asset and for the backtest."""

from __future__ import annotations

import datetime as dt

from pipelines import calendar, rules
from pipelines.config import MonitorConfig
from pipelines.rules import Finding, data_incomplete
from pipelines.sqlfiles import sql


def evaluate_range(con, cfg: MonitorConfig, start: dt.date, end: dt.date) -> list[Finding]:
    watch, metrics = rules.load_inputs(con, start, end, cfg.watchlist.benchmark)
    return rules.evaluate(cfg, watch, metrics)


def first_evaluable(con, cfg: MonitorConfig, start: dt.date) -> dt.date:
    """`start`, or the first session with a whole 5-session window behind it (the benchmark's sixth stored
    session): before that every 5-session figure is unknown, and an unknown must not be recorded as calm."""
    first_bar = con.execute(sql("checks/first_bar"), {"ticker": cfg.watchlist.benchmark}).fetchone()[0]
    if first_bar is None:
        return start
    return max(start, calendar.sessions_back(first_bar, -5))


def covered_sessions(con, start: dt.date, end: dt.date) -> list[dt.date]:
    """Sessions in range that watchlist_daily holds (what a backtest can speak for)."""
    stored = {r[0] for r in con.execute(sql("models/watchlist_sessions"), {"start": start, "end": end}).fetchall()}
    return [d for d in calendar.sessions(start, end) if d in stored]


def gaps_after(con, day: dt.date) -> list[str]:
    """The incomplete-data messages stored for sessions after `day` (newer than a backfill's range)."""
    return [m for (m,) in con.execute(sql("checks/gaps_after"), {"day": day, "rule": data_incomplete.NAME}).fetchall()]
