"""Loading raw facts: which range to fetch, fetching it once, storing it in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pipelines import calendar
from pipelines.calendar import SESSIONS_52W
from pipelines.config import MonitorConfig
from pipelines.sources import Source
from pipelines.sqlfiles import execute_script, sql
from pipelines.storage import store

# Sessions of history the metrics read behind a session (52-week high), fetched once on a fresh database.
WARM_UP_SESSIONS = SESSIONS_52W


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
    # fundamentals only: some tickers were due and none answered (every call failed): nothing is current
    fetched_nothing: bool = False


def utcnow() -> dt.datetime:
    """When a load happens (naive UTC): stored as fetched_at, which tells the split basis of a row (tests replay
    several nights in one process and set it)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def fetch_window(con, cfg: MonitorConfig, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """Re-read the last `refetch_sessions` before `start` (Yahoo revises recent bars); when any symbol's stored
    prices do not reach back far enough to compute the metrics for `start` (a fresh database, a symbol that
    failed before or was added to the watchlist since), reach back its whole warm-up in the same batched call."""
    first = calendar.sessions(start, end)
    if not first:
        raise ValueError(f"no NYSE session between {start} and {end}")
    start = first[0]
    need = calendar.sessions_back(start, WARM_UP_SESSIONS)
    if con.execute(sql("loads/uncovered"), {"symbols": cfg.symbols, "need": need}).fetchall():
        return need, end
    return calendar.sessions_back(start, cfg.history.refetch_sessions), end


# Derived tables in the order they are built: each one's recompute feeds those after it.
DERIVED = ("metrics_daily", "watchlist_daily", "alerts")


def recompute_from(con, cfg: MonitorConfig, start: dt.date, model: str) -> dt.date:
    """First session whose rows of the derived table `model` a run over [start, ...] recomputes: the re-fetch
    window, or earlier where loads changed stored facts since `model` was last recomputed (a first night's warm-up
    year, a split that restated history, a revised share count), including loads of a run that failed before it
    got this far: the mark they left in recompute_pending stays until a recompute commits."""
    first = calendar.sessions_back(calendar.sessions(start, start)[0], cfg.history.refetch_sessions)
    pending = con.execute(sql("loads/recompute_pending"), {"model": model}).fetchone()
    if pending is not None and pending[0] < first:
        first = calendar.sessions(pending[0], first)[0]
    return first


def settle_recompute(con, model: str, first: dt.date, end: dt.date) -> None:
    """In the transaction that recomputed `model` over [first, end]: the tables after it must follow from `first`;
    its own mark is cleared (or moved past `end`, where stored facts reach further than the range covered)."""
    downstream = list(DERIVED[DERIVED.index(model) + 1 :])
    after_end = calendar.sessions_back(end, -1) if end < calendar.all_sessions()[-1] else None
    execute_script(
        con,
        "loads/settle_recompute",
        {"model": model, "first": first, "end": end, "after_end": after_end, "downstream": downstream},
    )


def load_prices(
    con, source: Source, cfg: MonitorConfig, start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> LoadSummary:
    now = now or utcnow()
    fetch_start, fetch_end = fetch_window(con, cfg, start, end)
    batch = source.fetch_prices(cfg.symbols, fetch_start, fetch_end)
    stored = store.store_prices(con, batch, source.name, now)
    answered = sorted(set(batch.prices["ticker"]))  # only symbols that answered count as covered
    con.execute(sql("loads/record_coverage"), {"tickers": answered, "covered_from": fetch_start}).fetchall()
    empty = [
        d
        for (d,) in con.execute(
            sql("loads/sessions_without_bars"), {"start": start, "end": end, "symbols": cfg.symbols}
        ).fetchall()
    ]
    if empty:  # what was fetched is kept; the partition fails, naming the session
        raise source.no_bars(empty)
    return LoadSummary(
        fetch_start,
        fetch_end,
        stored["rows"],
        missing=batch.missing,
        splits_applied=stored["splits_applied"],
        problems=batch.problems + stored["restated"],
        rejected=stored["rejected"],
    )


def load_fundamentals(
    con, source: Source, cfg: MonitorConfig, start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> LoadSummary:
    """Shares and EPS for the tickers whose stored copy is older than the source's policy allows."""
    now = now or utcnow()
    due = store.fundamentals_due(con, cfg.tickers, source.name, source.fundamentals_max_age(cfg), now)
    if not due:
        return LoadSummary(start, end, 0, problems=["all fundamentals fresh: nothing fetched"])
    data = source.fetch_fundamentals(due, start, end)
    # Only tickers that answered count as refreshed: the others are asked again next run.
    answered = sorted(set(data.shares["ticker"]) | set(data.earnings["ticker"]) | set(data.average_shares["ticker"]))
    stored = store.store_fundamentals(
        con,
        data.shares,
        data.earnings,
        answered,
        source.name,
        now,
        cfg.fundamentals.max_share_change,
        data.average_shares,
        data.counts_public_on_date,
    )
    return LoadSummary(
        start,
        end,
        stored["shares_rows"],
        stored["earnings_rows"],
        problems=data.problems + stored["rejected"],
        rejected=stored["rejected"],
        fetched_nothing=not answered,
    )
