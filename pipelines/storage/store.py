"""DuckDB storage: schema migrations, the trading-session table and transactional upserts of raw facts."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import calendar
from pipelines.errors import DatabaseError, DatabaseLocked, InvalidData
from pipelines.plausibility import DOOR_LIMITS, split_ratio_problem
from pipelines.sources.base import PriceBatch
from pipelines.sqlfiles import execute_script, migrations, sql, statements, used_params, views
from pipelines.storage import share_counts

# The database is DuckDB's own file: never an extension fetched from the network to read something else (DuckDB
# would otherwise try to download sqlite_scanner for a SQLite file given by mistake).
NO_EXTENSIONS = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
SQLITE_HEADER = b"SQLite format 3\x00"


def _refuse_foreign(path: Path) -> None:
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError:
        return  # absent or unreadable: DuckDB names the problem
    if head == SQLITE_HEADER:
        raise DatabaseError(f"{path}: a SQLite file, not a DuckDB database (check --db / MARKET_MONITOR_DB)")


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    _refuse_foreign(Path(path))
    return duckdb.connect(str(path), read_only=read_only, config=NO_EXTENSIONS)


def is_lock_conflict(exc: BaseException) -> bool:
    """Another process holds the file: the one database error that waiting can fix."""
    return isinstance(exc, duckdb.Error) and ("Could not set lock" in str(exc) or "Conflicting lock" in str(exc))


def open_writer(
    path: Path | str, config: dict | None = None, lock_wait_seconds: float = 120.0, sleep=time.sleep
) -> duckdb.DuckDBPyConnection:
    """A read-write connection. Waits (with backoff, bounded) while another writer holds the lock; any other
    problem (not a DuckDB file, an unwritable directory) fails at once with the cause: no retry can fix it."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"{path}: cannot create its directory {path.parent}: {exc.strerror or exc}") from None
    _refuse_foreign(path)
    waited, delay = 0.0, 0.2
    while True:
        try:
            return duckdb.connect(str(path), read_only=False, config={**NO_EXTENSIONS, **(config or {})})
        except duckdb.Error as exc:
            if not is_lock_conflict(exc):
                raise DatabaseError(f"{path}: {str(exc).strip().splitlines()[0]}") from None
            if waited >= lock_wait_seconds:  # still locked: transient, left to the retry policy
                raise DatabaseLocked(
                    f"{path}: still locked by another process after {waited:.0f} s (a running pipeline, or a "
                    "read-write session left open); try again when it is done"
                ) from None
        sleep(delay)
        waited, delay = waited + delay, min(delay * 2, 10.0)


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


def migrate(con: duckdb.DuckDBPyConnection, first_basket: str = "ai") -> list[int]:
    """Apply the numbered files in sql/schema/ not applied yet; returns the versions applied now. `first_basket`:
    the basket that rows stored before baskets existed belong to (the configuration's first)."""
    con.execute(sql("store/schema_version"))
    done = {row[0] for row in con.execute(sql("store/applied_versions")).fetchall()}
    applied = []
    for version, name, text in migrations():
        if version in done:
            continue
        with transaction(con):
            for statement in statements(text):
                con.execute(statement, used_params(statement, {"first_basket": first_basket}))
            con.execute(sql("store/record_version"), {"version": version, "name": name})
        applied.append(version)
    return applied


def sync_sessions(con: duckdb.DuckDBPyConnection) -> int:
    """Fill trading_sessions with every XNYS session the calendar knows (idempotent)."""
    days = calendar.all_sessions()
    have = con.execute(sql("store/sessions_held")).fetchone()
    if have[0] == len(days) and have[1] == days[-1]:
        return 0
    frame = pd.DataFrame({"date": days, "session_idx": range(len(days))})
    with transaction(con):
        con.register("incoming_sessions", frame)
        execute_script(con, "store/replace_sessions", {})
        con.unregister("incoming_sessions")
    return len(days)


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """The shared macros and the analysts' views (sql/views/), recreated so a changed definition takes effect."""
    con.execute(sql("store/macros"))
    for _name, text in views():
        con.execute(text)


def prepare(con: duckdb.DuckDBPyConnection, first_basket: str = "ai") -> None:
    migrate(con, first_basket)
    sync_sessions(con)
    create_views(con)


def _upsert(con, statement: str, frame: pd.DataFrame, source: str, fetched_at: dt.datetime) -> int:
    if frame.empty:
        return 0
    con.register("incoming", frame)
    con.execute(sql(statement), {"source": source, "fetched_at": fetched_at})
    con.unregister("incoming")  # not on failure: an aborted transaction refuses it, and it would hide the cause
    return len(frame)


def _record_rejects(
    con, kind: str, rejected: pd.DataFrame, accepted: pd.DataFrame, source: str, fetched_at: dt.datetime
) -> None:
    """Keep `rejected` (ticker, date, value, reason) aside in rejected_facts; clear earlier rejects `accepted`
    (ticker, date) now replaces."""
    con.register("rejected", rejected)
    con.register("accepted", accepted)
    execute_script(con, "door/record_rejects", {"kind": kind, "source": source, "fetched_at": fetched_at})
    con.unregister("rejected")
    con.unregister("accepted")


# Each kind of fact's checks at the door (found by grep from here, not assembled from the kind's name).
DOOR_VERDICTS = {"price": "door/price_verdicts", "shares": "door/shares_verdicts", "eps": "door/eps_verdicts"}


def _door(
    con, kind: str, frame: pd.DataFrame, keys: list[str], source: str, fetched_at: dt.datetime
) -> tuple[pd.DataFrame, list[str]]:
    """Split incoming facts into the usable ones and the ones that cannot be true; the latter are kept aside in
    rejected_facts with their reason (and earlier rejects that now have a usable value are cleared).
    Returns the usable rows and one line per rejected fact."""
    if frame.empty:
        return frame, []
    frame = frame.reset_index(drop=True)
    con.register("incoming", frame.assign(_row=range(len(frame))))
    query = sql(DOOR_VERDICTS[kind])
    verdicts = con.execute(query, used_params(query, DOOR_LIMITS)).df()
    con.unregister("incoming")
    bad = verdicts[verdicts["reason"].notna()].sort_values("_row")
    usable = frame.drop(index=bad["_row"].to_list())
    _record_rejects(
        con, kind, bad.drop(columns="_row"), usable[keys].set_axis(["ticker", "date"], axis=1), source, fetched_at
    )
    return usable, [
        f"{t} {d}: {kind} refused ({reason})"
        for t, d, reason in bad[["ticker", "date", "reason"]].itertuples(index=False)
    ]


def _check_split_ratios(splits: pd.DataFrame) -> None:
    for ticker, day, ratio in splits[["ticker", "date", "ratio"]].itertuples(index=False):
        problem = split_ratio_problem(ratio)
        if problem:
            raise InvalidData(f"{ticker} split on {day}: {problem}; nothing stored")


# Yahoo has reported a split a session away from where it first did: the same split moved, not a new one.
MAX_SPLIT_MOVE_SESSIONS = 3


def _moved_splits(
    con, contradicted: list, new: list, source: str, fetched_at: dt.datetime, changes: list[str]
) -> tuple[list, list]:
    """Pair a stored split the source no longer reports with a new one of the same ticker and ratio at most
    MAX_SPLIT_MOVE_SESSIONS sessions away, and move it: the history before both dates is on the new basis already
    and the bars between them are in the span the source just sent (upserted right after), so nothing is restated
    (withdrawing and re-applying would put the history before it back on the old basis for good).
    Returns the contradicted and new splits left to handle."""
    moved = set()
    for old_split in contradicted:
        ticker, day, ratio, revised = old_split
        if revised is not None:
            continue
        for candidate in new:
            if candidate in moved or candidate[0] != ticker or candidate[2] != ratio:
                continue
            low, high = sorted((day, candidate[1]))
            if len(calendar.sessions(low, high)) - 1 <= MAX_SPLIT_MOVE_SESSIONS:
                execute_script(con, "splits/move", {"ticker": ticker, "date": day})
                execute_script(
                    con,
                    "splits/record",
                    {
                        "ticker": ticker,
                        "date": candidate[1],
                        "ratio": ratio,
                        "source": source,
                        "fetched_at": fetched_at,
                    },
                )
                changes.append(f"{ticker} {day} {ratio:g}:1 moved to {candidate[1]}")
                moved |= {old_split, candidate}
                break
    return [c for c in contradicted if c not in moved], [n for n in new if n not in moved]


def _apply_splits(con, batch: PriceBatch, source: str, fetched_at: dt.datetime) -> list[str]:
    """Put stored history on the basis of the splits the source reports, exactly once per split: a new split is
    applied to the rows fetched before it took effect (later ones came on the new basis), and a stored split that
    the source now reports with another ratio, or no longer reports inside the span of bars it sent, is revised or
    reversed (its ratio says what basis the stored rows are on)."""
    _check_split_ratios(batch.splits)
    con.register("incoming_splits", batch.splits)
    con.register("incoming_prices", batch.prices)
    contradicted = con.execute(sql("splits/contradicted")).fetchall()
    new = con.execute(sql("splits/new")).fetchall()
    con.unregister("incoming_splits")
    changes = []
    contradicted, new = _moved_splits(con, contradicted, new, source, fetched_at, changes)
    for ticker, day, old, revised in contradicted:
        factor = (revised / old) if revised is not None else 1 / old
        # Every row before a stored split is on its basis (restated by us, or by the source): all move. Unless the
        # bars the source just sent before the split equal the stored ones: then the stored history never took
        # the split (it was reported, never restated, e.g. in a replay) and undoing it would restate history the
        # source never restated.
        (overlap,) = con.execute(sql("splits/overlap_ratio"), {"ticker": ticker, "date": day}).fetchone()
        never_applied = overlap is not None and abs(overlap - 1) < 0.005
        if not never_applied:
            execute_script(
                con,
                "splits/restate_before",
                {
                    "ticker": ticker,
                    "date": day,
                    "factor": factor,
                    "effective": dt.datetime.max,
                    "withdrawn": dt.datetime.max,
                    "fetched_at": fetched_at,
                },
            )
        if revised is None:
            execute_script(con, "splits/forget", {"ticker": ticker, "date": day, "fetched_at": fetched_at})
            changes.append(
                f"{ticker} {day} {old:g}:1 withdrawn "
                + (
                    "(stored history was never on its basis: nothing restated)"
                    if never_applied
                    else "(history restored)"
                )
            )
        else:
            execute_script(
                con,
                "splits/record",
                {"ticker": ticker, "date": day, "ratio": revised, "source": source, "fetched_at": fetched_at},
            )
            changes.append(f"{ticker} {day} {old:g}:1 revised to {revised:g}:1")
    for ticker, day, ratio, withdrawn in new:
        # On the old basis: rows fetched before the split took effect (later ones came restated by the source),
        # and rows fetched since the source last withdrew it (those came without it).
        execute_script(
            con,
            "splits/restate_before",
            {
                "ticker": ticker,
                "date": day,
                "factor": ratio,
                "effective": dt.datetime.combine(day, dt.time()),
                "withdrawn": withdrawn or dt.datetime.max,
                "fetched_at": fetched_at,
            },
        )
        execute_script(
            con,
            "splits/record",
            {"ticker": ticker, "date": day, "ratio": ratio, "source": source, "fetched_at": fetched_at},
        )
        changes.append(f"{ticker} {day} {ratio:g}:1")
    # The basis fetched_at implies is checked against the data: bars the source sent on the old basis after the
    # split took effect (it reported the split before restating) show as a steady ratio in the overlap.
    mismatched = con.execute(sql("splits/basis_mismatch")).fetchall()
    con.unregister("incoming_prices")
    for ticker, load, day, ratio, n in mismatched:
        execute_script(
            con,
            "splits/restate_load",
            {"ticker": ticker, "load": load, "date": day, "factor": ratio, "fetched_at": fetched_at},
        )
        changes.append(
            f"{ticker}: bars fetched {load:%Y-%m-%d %H:%M} before {day} were still on the basis before its "
            f"{ratio:g}:1 split ({n} overlapping bars said so): restated"
        )
    return changes


ADJ_RESTATED = 1e-5  # relative: Yahoo's rounding stays far below; NVDA's $0.01 dividend at $190 is 5e-5


def _follow_adj_restatement(con, prices: pd.DataFrame, fetched_at: dt.datetime) -> list[str]:
    """When the source restated its adjusted closes (a dividend) and the re-read window reaches only part of them,
    the stored bars before it are put on the new basis by the same factor: returns over the seam never mix bases
    (a -10.9% week that was -0.6%). One line per ticker restated."""
    if prices.empty:
        return []
    con.register("incoming_prices", prices[["ticker", "date", "close", "adj_close"]])
    try:
        found = con.execute(sql("loads/adj_restated"), {"tolerance": ADJ_RESTATED}).fetchall()
    finally:
        con.unregister("incoming_prices")
    lines = []
    for ticker, day, factor, n in found:
        execute_script(
            con, "loads/restate_adj", {"ticker": ticker, "date": day, "factor": factor, "fetched_at": fetched_at}
        )
        lines.append(
            f"{ticker}: the source restated its adjusted closes (×{factor:.6g} at {day}, a dividend): the {n} stored "
            f"bar(s) before {day} put on the same basis"
        )
    return lines


def store_prices(con, batch: PriceBatch, source: str, fetched_at: dt.datetime) -> dict:
    """Upsert one price batch (and its split/dividend events) in one transaction. Bars that cannot be true never
    reach prices_daily: they are kept aside in rejected_facts, and a stored bar for that session is kept."""
    off_calendar = batch.prices[~batch.prices["date"].map(calendar.is_session)] if len(batch.prices) else None
    if off_calendar is not None and len(off_calendar):
        first = off_calendar.iloc[0]
        raise InvalidData(
            f"{len(off_calendar)} price row(s) dated on non-sessions, e.g. {first['ticker']} {first['date']}"
        )
    with transaction(con):
        splits_applied = _apply_splits(con, batch, source, fetched_at)
        restated = _follow_adj_restatement(con, batch.prices, fetched_at)
        usable, rejected = _door(con, "price", batch.prices, ["ticker", "date"], source, fetched_at)
        rows = _upsert(con, "loads/upsert_prices", usable, source, fetched_at)
        _upsert(con, "loads/upsert_dividends", batch.dividends, source, fetched_at)
        con.execute(
            sql("loads/record_fetch"),
            {
                "kind": "prices",
                "tickers": sorted(set(batch.prices["ticker"])),
                "source": source,
                "fetched_at": fetched_at,
            },
        ).fetchall()
        con.execute(sql("loads/mark_recompute"), {"fetched_at": fetched_at}).fetchall()
    return {"rows": rows, "splits_applied": splits_applied, "restated": restated, "rejected": rejected}


def _hold_unconfirmed(
    con, shares: pd.DataFrame, tickers: list[str], source: str, fetched_at: dt.datetime, max_change: float
) -> tuple[pd.DataFrame, list[str]]:
    """The counts to store now; the others wait in shares_held for a later count (pipelines/storage/share_counts.py).
    Returns the counts to store and one line per count held or found to be a one-off."""
    held = con.execute(sql("shares/held_for"), {"tickers": list(tickers)}).df()
    for column in ("date", "previous_date"):
        held[column] = pd.to_datetime(held[column]).dt.date
    con.register("incoming", pd.concat([shares[["ticker", "date"]], held[["ticker", "date"]]], ignore_index=True))
    stored = con.execute(sql("shares/baseline")).df()
    stored["date"] = pd.to_datetime(stored["date"]).dt.date
    con.unregister("incoming")
    outcome = share_counts.confirm(shares, stored, held, max_change)
    con.register("held", outcome.held)
    execute_script(con, "shares/replace_held", {"tickers": list(tickers), "source": source, "fetched_at": fetched_at})
    con.unregister("held")
    _record_rejects(con, "shares", outcome.one_offs, outcome.accepted[["ticker", "date"]], source, fetched_at)
    lines = [share_counts.describe(*row) for row in outcome.held.itertuples(index=False)]
    lines += [f"{t} {d}: shares refused ({reason})" for t, d, _v, reason in outcome.one_offs.itertuples(index=False)]
    return outcome.accepted, lines


def _averages_needed(con, averages: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """The quarter averages that fill dates before a ticker's first outstanding count (all, for one with none)."""
    if averages.empty:
        return averages
    con.register("averages", averages[["ticker", "date", "shares"]])
    con.register("counts", counts[["ticker", "date"]])
    needed = con.execute(sql("shares/fallback_needed")).df()
    con.unregister("averages")
    con.unregister("counts")
    needed["date"] = pd.to_datetime(needed["date"]).dt.date
    return needed


def store_fundamentals(
    con,
    shares: pd.DataFrame,
    earnings: pd.DataFrame,
    tickers: list[str],
    source: str,
    fetched_at: dt.datetime,
    max_share_change: float | None = None,
    average_shares: pd.DataFrame | None = None,
    counts_public_on_date: bool = False,
) -> dict:
    """Upsert share counts and EPS in one transaction. With `max_share_change`, a count that far from the previous
    one waits in shares_held until a later count confirms it (None: every usable count is stored).
    `average_shares` (quarter averages) fill the dates before each ticker's first count, marked as such.
    `counts_public_on_date`: the counts are dated the day they became public (averages never are)."""
    with transaction(con):
        shares, bad_shares = _door(con, "shares", shares, ["ticker", "date"], source, fetched_at)
        if max_share_change is not None:
            shares, held = _hold_unconfirmed(con, shares, tickers, source, fetched_at, max_share_change)
            bad_shares = bad_shares + held
        averages = pd.DataFrame(columns=["ticker", "date", "shares"])
        if average_shares is not None and len(average_shares):
            averages = _averages_needed(con, average_shares, shares)
            averages, bad_averages = _door(con, "shares", averages, ["ticker", "date"], source, fetched_at)
            bad_shares = bad_shares + bad_averages
        shares = (
            pd.concat(
                [
                    shares.assign(measure="outstanding", public_on_date=counts_public_on_date),
                    averages.assign(measure="basic_average", public_on_date=False),
                ],
                ignore_index=True,
            )
            if len(averages)
            else shares.assign(measure="outstanding", public_on_date=counts_public_on_date)
        )
        earnings, bad_eps = _door(con, "eps", earnings, ["ticker", "period_end"], source, fetched_at)
        n_shares = _upsert(con, "loads/upsert_shares", shares, source, fetched_at)
        execute_script(con, "shares/drop_superseded_averages", {})
        n_eps = _upsert(con, "loads/upsert_earnings", earnings, source, fetched_at)
        con.execute(
            sql("loads/record_fetch"),
            {"kind": "fundamentals", "tickers": list(tickers), "source": source, "fetched_at": fetched_at},
        ).fetchall()
        con.execute(sql("loads/mark_recompute"), {"fetched_at": fetched_at}).fetchall()
    return {"shares_rows": n_shares, "earnings_rows": n_eps, "rejected": bad_shares + bad_eps}


def fundamentals_due(con, tickers: list[str], source: str, max_age_days: int, now: dt.datetime) -> list[str]:
    """Tickers whose shares/EPS were never fetched from this source, or longer ago than max_age_days; plus, so that
    a watchlist fetched on one night does not fall due all on one night again, the oldest of the others up to a
    nightly share of 1/max_age_days of the names: refreshes spread over the nights of the period."""
    rows = dict(con.execute(sql("loads/fundamentals_fetched"), {"source": source}).fetchall())
    names = [t for t in tickers if not t.startswith("^")]
    cutoff = now - dt.timedelta(days=max_age_days)
    due = {t for t in names if t not in rows or rows[t] < cutoff}
    if max_age_days > 0:
        share = -(-len(names) // max_age_days)
        early = sorted((t for t in names if t not in due), key=lambda t: (rows[t], t))
        due |= set(early[: max(0, share - len(due))])
    return [t for t in names if t in due]
