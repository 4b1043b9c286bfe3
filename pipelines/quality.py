"""Data-quality checks as plain functions over DuckDB; the Dagster layer turns them into asset checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pipelines import calendar
from pipelines.sqlfiles import sql

MAX_ONE_SESSION_MOVE = 0.40


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    description: str
    metadata: dict = field(default_factory=dict)


def missing_bars(con, symbols: list[str], start: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    rows = con.execute(sql("checks/bars_missing"), {"symbols": symbols, "start": start, "end": end}).fetchall()
    return [(t, d) for t, d in rows]


def check_bars_present(con, symbols, start, end) -> CheckOutcome:
    gaps = missing_bars(con, symbols, start, end)
    by_symbol: dict[str, list[str]] = {}
    for ticker, day in gaps:
        by_symbol.setdefault(ticker, []).append(day.isoformat())
    desc = "every symbol has a bar for every session" if not gaps else "missing bars: " + "; ".join(
        f"{t} ({len(d)} session(s), last {d[-1]})" for t, d in by_symbol.items())
    return CheckOutcome("bars_present", not gaps, desc,
                        {"missing_bars": len(gaps), "symbols_missing": sorted(by_symbol),
                         "sessions_checked": len(calendar.sessions(start, end))})


def check_prices_valid(con, symbols, start, end) -> CheckOutcome:
    bad = con.execute(sql("checks/bad_prices"), {"symbols": symbols, "start": start, "end": end}).fetchall()
    desc = "all closes positive, finite and inside the day's range" if not bad else (
        f"{len(bad)} unusable bar(s), first {bad[0][0]} {bad[0][1]}")
    return CheckOutcome("prices_valid", not bad, desc, {"bad_bars": len(bad)})


def check_moves_plausible(con, symbols, start, end, max_move: float = MAX_ONE_SESSION_MOVE) -> CheckOutcome:
    rows = con.execute(sql("checks/implausible_moves"), {
        "symbols": symbols, "start": start, "end": end, "lookback": calendar.previous_session(start),
        "max_move": max_move}).fetchall()
    moves = [f"{t} {d} {m:+.1%}" for t, d, _p, _c, m in rows]
    desc = f"no one-session move beyond ±{max_move:.0%} without a split" if not rows else (
        "unexplained moves: " + ", ".join(moves[:10]))
    return CheckOutcome("moves_plausible", not rows, desc, {"implausible_moves": moves[:50]})


def _ages(con, symbols, as_of, eps_lag):
    rows = con.execute(sql("checks/fundamentals_age"), {"symbols": symbols, "as_of": as_of, "eps_lag": eps_lag})
    return rows.fetchall()


def check_shares_fresh(con, tickers, as_of: dt.date, max_age_days: int, eps_lag: int) -> CheckOutcome:
    problems = []
    for ticker, shares_as_of, _eps in _ages(con, tickers, as_of, eps_lag):
        if shares_as_of is None:
            problems.append(f"{ticker}: no share count (no market cap)")
        elif (as_of - shares_as_of).days > max_age_days:
            problems.append(f"{ticker}: count as of {shares_as_of} ({(as_of - shares_as_of).days} days old)")
    desc = f"every ticker has a share count at most {max_age_days} days old" if not problems else "; ".join(problems)
    return CheckOutcome("shares_fresh", not problems, desc, {"problems": problems, "as_of": as_of.isoformat()})


def check_eps_fresh(con, tickers, as_of: dt.date, max_age_days: int, eps_lag: int) -> CheckOutcome:
    problems = []
    for ticker, _shares, eps_known_on in _ages(con, tickers, as_of, eps_lag):
        if eps_known_on is None:
            problems.append(f"{ticker}: no EPS known (no P/E)")
        elif (as_of - eps_known_on).days > max_age_days:
            problems.append(f"{ticker}: latest EPS known since {eps_known_on}")
    desc = f"every ticker has EPS announced within {max_age_days} days" if not problems else "; ".join(problems)
    return CheckOutcome("eps_fresh", not problems, desc, {"problems": problems, "as_of": as_of.isoformat()})
