"""Evaluating the rules over stored metrics: for the alerts asset and for the backtest."""

from __future__ import annotations

import datetime as dt

from pipelines import calendar, rules
from pipelines.config import MonitorConfig
from pipelines.rules import Finding
from pipelines.sqlfiles import sql


def evaluate_range(con, cfg: MonitorConfig, start: dt.date, end: dt.date, whole_windows: bool = False) -> list[Finding]:
    """Every basket's findings over [start, end]; with `whole_windows`, each basket from its own first evaluable
    session (the alerts asset: an unknown before the benchmark's sixth session is never recorded as calm)."""
    metrics = rules.load_metrics(con, start, end)
    out: list[Finding] = []
    for basket in cfg.baskets:
        first = first_evaluable(con, basket, start) if whole_windows else start
        out += rules.evaluate(basket, rules.load_watch(con, basket, first, end), metrics[metrics["date"] >= first])
    return out


def first_evaluable(con, basket, start: dt.date) -> dt.date:
    """`start`, or the first session with a whole 5-session window behind it (the basket's benchmark's sixth
    stored session): before that every 5-session figure is unknown, and an unknown must not be recorded as calm."""
    first_bar = con.execute(sql("checks/first_bar"), {"ticker": basket.benchmark}).fetchone()[0]
    if first_bar is None:
        return start
    return max(start, calendar.sessions_back(first_bar, -5))


def first_evaluable_of_all(con, cfg: MonitorConfig, start: dt.date) -> dt.date:
    """The earliest session any basket can be evaluated on: where a run's findings are replaced from."""
    return min(first_evaluable(con, b, start) for b in cfg.baskets)


def covered_sessions(con, basket: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """Sessions in range that watchlist_daily holds for the basket (what a backtest can speak for)."""
    params = {"basket": basket, "start": start, "end": end}
    stored = {r[0] for r in con.execute(sql("models/watchlist_sessions"), params).fetchall()}
    return [d for d in calendar.sessions(start, end) if d in stored]


def gaps_after(con, day: dt.date) -> list[tuple[str, str]]:
    """(basket, message) of the incomplete-data findings stored for sessions after `day` (newer than a backfill's
    range)."""
    return con.execute(sql("checks/gaps_after"), {"day": day, "rule": rules.INCOMPLETE}).fetchall()
