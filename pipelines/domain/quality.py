"""Data-quality checks as plain functions over DuckDB; the Dagster layer turns them into asset checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pipelines import calendar
from pipelines.sqlfiles import sql
from pipelines.storage import share_counts

MAX_ONE_SESSION_MOVE = 0.40
STOPPED_AFTER_SESSIONS = 3  # no bar this many sessions running: the name has left (a one-night gap is not that)


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    description: str
    metadata: dict = field(default_factory=dict)


def missing_bars(con, symbols: list[str], start: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    rows = con.execute(sql("checks/bars_missing"), {"symbols": symbols, "start": start, "end": end}).fetchall()
    return [(t, d) for t, d in rows]


def sessions_in(con, symbols: list[str], start: dt.date, end: dt.date) -> dict[dt.date, dict]:
    """The sessions in [start, end] that have bars (what a run of that session materializes), each with the
    symbols still without one: a name that has stopped arriving must not keep its sessions red for good."""
    empty = {
        d
        for (d,) in con.execute(
            sql("loads/sessions_without_bars"), {"start": start, "end": end, "symbols": symbols}
        ).fetchall()
    }
    gaps: dict[dt.date, list[str]] = {}
    for ticker, day in missing_bars(con, symbols, start, end):
        gaps.setdefault(day, []).append(ticker)
    return {d: {"symbols_missing": sorted(gaps.get(d, []))} for d in calendar.sessions(start, end) if d not in empty}


def check_bars_present(con, symbols, start, end) -> CheckOutcome:
    gaps = missing_bars(con, symbols, start, end)
    by_symbol: dict[str, list[str]] = {}
    for ticker, day in gaps:
        by_symbol.setdefault(ticker, []).append(day.isoformat())
    desc = (
        "every symbol has a bar for every session"
        if not gaps
        else "missing bars: " + "; ".join(f"{t} ({len(d)} session(s), last {d[-1]})" for t, d in by_symbol.items())
    )
    return CheckOutcome(
        "bars_present",
        not gaps,
        desc,
        {
            "missing_bars": len(gaps),
            "symbols_missing": sorted(by_symbol),
            "sessions_checked": len(calendar.sessions(start, end)),
        },
    )


def check_names_arriving(con, symbols, as_of: dt.date, after: int = STOPPED_AFTER_SESSIONS) -> CheckOutcome:
    """A name without a bar for `after` sessions running has most likely left (delisted, renamed, a new ticker):
    the sector rule goes on without it, but only a config change can replace it, so ops are told what to do."""
    rows = con.execute(sql("checks/names_stopped"), {"symbols": symbols, "as_of": as_of, "sessions": after}).fetchall()
    lines = [f"{t}: no bar for {n} sessions (last {last})" if last else f"{t}: never had a bar" for t, last, n in rows]
    desc = (
        f"every symbol had a bar within the last {after} sessions to {as_of}"
        if not rows
        else "; ".join(lines)
        + ". Delisted, renamed or a new ticker? Replace or drop it in the tickers of its baskets in monitor.toml; "
        "the sector rule is decided on the other names meanwhile"
    )
    return CheckOutcome("names_arriving", not rows, desc, {"names_stopped": [t for t, _l, _n in rows]})


def check_prices_valid(con, symbols, start, end) -> CheckOutcome:
    """Every session the run read (its whole fetch window, not only its own sessions): a refused bar there is
    named, so a bar that cannot be true is never silent, though it never reaches prices_daily."""
    bad = con.execute(sql("checks/bad_prices"), {"symbols": symbols, "start": start, "end": end}).fetchall()
    lines = [f"{t} {d}: {reason}" for t, d, reason in bad]
    desc = (
        f"every bar of {start} .. {end} usable"
        if not bad
        else (
            f"{len(bad)} bar(s) refused and kept aside (rejected_facts): "
            + "; ".join(lines[:5])
            + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        )
    )
    return CheckOutcome("prices_valid", not bad, desc, {"bad_bars": len(bad), "refused": lines[:50]})


def check_moves_plausible(con, symbols, start, end, max_move: float = MAX_ONE_SESSION_MOVE) -> CheckOutcome:
    rows = con.execute(
        sql("checks/implausible_moves"),
        {
            "symbols": symbols,
            "start": start,
            "end": end,
            "lookback": calendar.previous_session(start),
            "max_move": max_move,
        },
    ).fetchall()
    moves = [f"{t} {d} {m:+.1%}" for t, d, _p, _c, m in rows]
    desc = (
        f"no one-session move beyond ±{max_move:.0%} without a split"
        if not rows
        else ("unexplained moves: " + ", ".join(moves[:10]))
    )
    return CheckOutcome("moves_plausible", not rows, desc, {"implausible_moves": moves[:50]})


def _freshness(
    con,
    name: str,
    column: int,
    tickers,
    as_of: dt.date,
    max_age_days: int,
    eps_lag: int,
    none_text: str,
    old_text: str,
    ok_text: str,
) -> CheckOutcome:
    rows = con.execute(sql("checks/fundamentals_age"), {"symbols": tickers, "as_of": as_of, "eps_lag": eps_lag})
    problems = []
    for row in rows.fetchall():
        ticker, known = row[0], row[column]
        if known is None:
            problems.append(f"{ticker}: {none_text}")
        elif (as_of - known).days > max_age_days:
            problems.append(f"{ticker}: {old_text.format(date=known, days=(as_of - known).days)}")
    desc = ok_text.format(days=max_age_days) if not problems else "; ".join(problems)
    return CheckOutcome(name, not problems, desc, {"problems": problems, "as_of": as_of.isoformat()})


def check_shares_fresh(con, tickers, as_of: dt.date, max_age_days: int, eps_lag: int) -> CheckOutcome:
    return _freshness(
        con,
        "shares_fresh",
        1,
        tickers,
        as_of,
        max_age_days,
        eps_lag,
        "no share count (no market cap)",
        "count as of {date} ({days} days old)",
        "every ticker has a share count at most {days} days old",
    )


def check_eps_fresh(con, tickers, as_of: dt.date, max_age_days: int, eps_lag: int) -> CheckOutcome:
    return _freshness(
        con,
        "eps_fresh",
        2,
        tickers,
        as_of,
        max_age_days,
        eps_lag,
        "no EPS known (no P/E)",
        "latest EPS known since {date}",
        "every ticker has EPS announced within {days} days",
    )


def check_shares_confirmed(con, tickers) -> CheckOutcome:
    """Share counts held until a later count confirms them (pipelines/storage/share_counts.py): named, so a market cap
    computed on the earlier count is never a silent choice."""
    rows = con.execute(sql("shares/held_for"), {"tickers": list(tickers)}).fetchall()
    lines = [share_counts.describe(*row) for row in rows]
    desc = "no share count waiting for confirmation" if not rows else "; ".join(lines)
    return CheckOutcome("shares_confirmed", not rows, desc, {"held": lines})


def newest_session(con, symbols) -> dt.date | None:
    return con.execute(sql("checks/newest_session"), {"symbols": symbols}).fetchone()[0]


def also_newest(check, con, symbols, start: dt.date, end: dt.date) -> CheckOutcome:
    """A check over the run's sessions and, when the run is a backfill of older ones, the newest stored session
    too: the result the UI shows last must never be green while tonight's session has a problem."""
    outcome = check(con, symbols, start, end)
    newest = newest_session(con, symbols)
    outcome.metadata["sessions_checked"] = f"{start} .. {end}"
    if newest is None or newest <= end:
        outcome.description = f"{start} .. {end}: {outcome.description}"
        return outcome
    latest = check(con, symbols, newest, newest)
    outcome.metadata["sessions_checked"] += f" and the newest, {newest}"
    outcome.metadata["newest_session_passed"] = latest.passed
    outcome.description = (
        f"newest session {newest}: {latest.description}; this run's {start} .. {end}: {outcome.description}"
    )
    outcome.passed = outcome.passed and latest.passed
    return outcome
