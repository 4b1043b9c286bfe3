"""Loading raw facts: which range to fetch, fetching it once, storing it in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pipelines import calendar, store
from pipelines.config import MonitorConfig
from pipelines.sources import Source

# Sessions of history the metrics read behind a session (52-week high), fetched once on a fresh database.
WARM_UP_SESSIONS = 252


@dataclass
class LoadSummary:
    fetch_start: dt.date
    fetch_end: dt.date
    rows: int
    earnings_rows: int = 0  # fundamentals only: `rows` then counts share counts
    missing: list[str] = field(default_factory=list)
    splits_applied: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # facts that cannot be true, kept aside in rejected_facts


def fetch_window(con, cfg: MonitorConfig, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """Re-read the last `refetch_sessions` before `start` (Yahoo revises recent bars); on a database without
    the history the metrics need, reach back far enough to compute them for `start`."""
    first = calendar.sessions(start, end)
    if not first:
        raise ValueError(f"no NYSE session between {start} and {end}")
    start = first[0]
    need = calendar.sessions_back(start, WARM_UP_SESSIONS)
    have = con.execute("SELECT min(date) FROM prices_daily WHERE ticker = ?", [cfg.watchlist.benchmark]).fetchone()[0]
    if have is None or have > need:
        return need, end
    return calendar.sessions_back(start, cfg.history.refetch_sessions), end


def load_prices(con, source: Source, cfg: MonitorConfig, start: dt.date, end: dt.date,
                now: dt.datetime | None = None) -> LoadSummary:
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    fetch_start, fetch_end = fetch_window(con, cfg, start, end)
    batch = source.fetch_prices(cfg.symbols, fetch_start, fetch_end)
    stored = store.store_prices(con, batch, source.name, now)
    return LoadSummary(fetch_start, fetch_end, stored["rows"], missing=batch.missing,
                       splits_applied=stored["splits_applied"], problems=batch.problems, rejected=stored["rejected"])


def load_fundamentals(con, source: Source, cfg: MonitorConfig, start: dt.date, end: dt.date,
                      now: dt.datetime | None = None) -> LoadSummary:
    """Shares and EPS for the tickers whose stored copy is stale (replay: always, it is a local read)."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    max_age = 0 if source.name == "replay" else cfg.fundamentals.refresh_after_days
    due = store.fundamentals_due(con, cfg.watchlist.tickers, source.name, max_age, now)
    if not due:
        return LoadSummary(start, end, 0, problems=["all fundamentals fresh: nothing fetched"])
    data = source.fetch_fundamentals(due, start, end)
    # Only tickers that answered count as refreshed: the others are asked again next run.
    answered = sorted(set(data.shares["ticker"]) | set(data.earnings["ticker"]))
    stored = store.store_fundamentals(con, data.shares, data.earnings, answered, source.name, now)
    return LoadSummary(start, end, stored["shares_rows"], stored["earnings_rows"],
                       problems=data.problems + stored["rejected"], rejected=stored["rejected"])
