"""DuckDB storage: schema migrations, the trading-session table and transactional upserts of raw facts."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import calendar
from pipelines.sources.base import PriceBatch
from pipelines.sqlfiles import execute_script, migrations, sql, views


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only)


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a step that fails leaves the previous data intact."""
    con.begin()
    try:
        yield con
    except BaseException:
        con.rollback()
        raise
    con.commit()


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the numbered files in sql/schema/ not applied yet; returns the versions applied now."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
        "applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()}
    applied = []
    for version, name, text in migrations():
        if version in done:
            continue
        with transaction(con):
            con.execute(text)
            con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, name])
        applied.append(version)
    return applied


def sync_sessions(con: duckdb.DuckDBPyConnection) -> int:
    """Fill trading_sessions with every XNYS session the calendar knows (idempotent)."""
    days = calendar.all_sessions()
    have = con.execute("SELECT count(*), max(date) FROM trading_sessions").fetchone()
    if have[0] == len(days) and have[1] == days[-1]:
        return 0
    frame = pd.DataFrame({"date": days, "session_idx": range(len(days))})
    with transaction(con):
        con.execute("DELETE FROM trading_sessions")
        con.register("incoming_sessions", frame)
        con.execute("INSERT INTO trading_sessions SELECT date, session_idx FROM incoming_sessions")
        con.unregister("incoming_sessions")
    return len(days)


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """The analysts' views (sql/views/), recreated so a changed definition takes effect."""
    for _name, text in views():
        con.execute(text)


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    migrate(con)
    sync_sessions(con)
    create_views(con)


def _upsert(con, statement: str, frame: pd.DataFrame, source: str, fetched_at: dt.datetime) -> int:
    if frame.empty:
        return 0
    con.register("incoming", frame)
    con.execute(sql(statement), {"source": source, "fetched_at": fetched_at})
    con.unregister("incoming")  # not on failure: an aborted transaction refuses it, and it would hide the cause
    return len(frame)


def store_prices(con, batch: PriceBatch, source: str, fetched_at: dt.datetime) -> dict:
    """Upsert one price batch (and its split/dividend events) in one transaction."""
    off_calendar = batch.prices[~batch.prices["date"].map(calendar.is_session)] if len(batch.prices) else None
    if off_calendar is not None and len(off_calendar):
        first = off_calendar.iloc[0]
        raise ValueError(
            f"{len(off_calendar)} price row(s) dated on non-sessions, e.g. {first['ticker']} {first['date']}"
        )
    with transaction(con):
        splits_applied = []
        if len(batch.splits):
            con.register("incoming", batch.splits)
            new = con.execute(sql("new_splits")).fetchall()
            con.unregister("incoming")
            for ticker, date, ratio in new:
                execute_script(con, "apply_split", {"ticker": ticker, "date": date, "ratio": ratio,
                                                    "source": source, "fetched_at": fetched_at})
                splits_applied.append(f"{ticker} {date} {ratio:g}:1")
        rows = _upsert(con, "upsert_prices", batch.prices, source, fetched_at)
        _upsert(con, "upsert_dividends", batch.dividends, source, fetched_at)
        for ticker in sorted(set(batch.prices["ticker"])):
            con.execute(sql("record_fetch"), {"kind": "prices", "ticker": ticker, "source": source,
                                              "fetched_at": fetched_at})
    return {"rows": rows, "splits_applied": splits_applied}


def store_fundamentals(con, shares: pd.DataFrame, earnings: pd.DataFrame, tickers: list[str], source: str,
                       fetched_at: dt.datetime) -> dict:
    with transaction(con):
        n_shares = _upsert(con, "upsert_shares", shares, source, fetched_at)
        n_eps = _upsert(con, "upsert_earnings", earnings, source, fetched_at)
        for ticker in tickers:
            con.execute(sql("record_fetch"), {"kind": "fundamentals", "ticker": ticker, "source": source,
                                              "fetched_at": fetched_at})
    return {"shares_rows": n_shares, "earnings_rows": n_eps}


def fundamentals_due(con, tickers: list[str], source: str, max_age_days: int, now: dt.datetime) -> list[str]:
    """Tickers whose shares/EPS were never fetched from this source, or longer ago than max_age_days."""
    rows = dict(con.execute(
        "SELECT ticker, fetched_at FROM source_fetches WHERE kind = 'fundamentals' AND source = ?", [source]
    ).fetchall())
    cutoff = now - dt.timedelta(days=max_age_days)
    return [t for t in tickers if not t.startswith("^") and (t not in rows or rows[t] < cutoff)]
