"""Benchmark of the metrics SQL on a synthetic universe (default 3,000 tickers x 10 years of sessions).

Prints the figures and, as its last line, a JSON object:
  rows, reference_s, full_recompute_s, incremental_s, incremental_2x_history_s (and a few more).

  .venv/bin/python benchmarks/metrics_benchmark.py [--tickers 3000] [--years 10]

reference_s is one plain DuckDB query computing the same 15 columns as metrics_daily over the same rows (see
REFERENCE), written to a table: the floor the full recompute is measured against; `mismatches` checks that the
two agree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines import calendar  # noqa: E402
from pipelines.domain import metrics
from pipelines.storage import store

# The plainest single query for the same output as metrics_daily (all 15 columns: as-of share count, TTM EPS
# from the last four announced quarters, 1- and 5-session returns and $ changes, 52-week and 5-session drawdowns,
# P/E) over every row: what a straightforward analyst would write. It skips what the model adds for gaps (a
# dense session grid) and for incremental runs, and the benchmark universe has no gaps, so on it the two must
# agree: `mismatches` counts the rows where they do not.
REFERENCE = """
CREATE OR REPLACE TABLE reference_metrics AS
WITH ttm AS (
    SELECT ticker, eps_known_on(reported_date, period_end, 60) AS known_on,
           CASE WHEN count(*) OVER q = 4 AND max(period_end) OVER q - min(period_end) OVER q BETWEEN 250 AND 300
                THEN sum(eps_diluted) OVER q END AS eps_ttm
    FROM earnings
    WINDOW q AS (PARTITION BY ticker ORDER BY eps_known_on(reported_date, period_end, 60), period_end
                 ROWS BETWEEN 3 PRECEDING AND CURRENT ROW)
    QUALIFY row_number() OVER (PARTITION BY ticker, known_on ORDER BY period_end DESC) = 1
),
base AS (
    SELECT p.ticker, p.date, p.close, p.adj_close, s.shares AS shares_outstanding, s.date AS shares_as_of,
           p.close * s.shares AS market_cap, e.eps_ttm
    FROM prices_daily p
    ASOF LEFT JOIN shares_outstanding s ON s.ticker = p.ticker AND s.date <= p.date
    ASOF LEFT JOIN ttm e ON e.ticker = p.ticker AND e.known_on <= p.date
)
SELECT ticker, date, close, adj_close, shares_outstanding, shares_as_of, market_cap,
       adj_close / lag(adj_close, 1) OVER w - 1 AS return_1d,
       adj_close / lag(adj_close, 5) OVER w - 1 AS return_5d,
       market_cap - lag(market_cap, 1) OVER w AS cap_change_1d,
       market_cap - lag(market_cap, 5) OVER w AS cap_change_5d,
       close / max(close) OVER (w ROWS BETWEEN 251 PRECEDING AND CURRENT ROW) - 1 AS drawdown_52w,
       least(0, lag(close, 4) OVER w / greatest(lag(close, 5) OVER w, lag(close, 4) OVER w) - 1,
             lag(close, 3) OVER w / max(close) OVER (w ROWS BETWEEN 5 PRECEDING AND 3 PRECEDING) - 1,
             lag(close, 2) OVER w / max(close) OVER (w ROWS BETWEEN 5 PRECEDING AND 2 PRECEDING) - 1,
             lag(close, 1) OVER w / max(close) OVER (w ROWS BETWEEN 5 PRECEDING AND 1 PRECEDING) - 1,
             close / max(close) OVER (w ROWS BETWEEN 5 PRECEDING AND CURRENT ROW) - 1) AS max_drawdown_5d,
       eps_ttm, CASE WHEN eps_ttm > 0 THEN close / eps_ttm END AS pe_ttm
FROM base
WINDOW w AS (PARTITION BY ticker ORDER BY date)
"""

MISMATCHES = """
SELECT count(*) FROM metrics_daily m FULL JOIN reference_metrics r USING (ticker, date)
WHERE m.ticker IS NULL OR r.ticker IS NULL
   OR (m.return_1d, m.return_5d, m.cap_change_1d, m.cap_change_5d, m.drawdown_52w, m.eps_ttm, m.pe_ttm,
       m.shares_outstanding, m.shares_as_of)
      IS DISTINCT FROM (r.return_1d, r.return_5d, r.cap_change_1d, r.cap_change_5d, r.drawdown_52w, r.eps_ttm,
                        r.pe_ttm, r.shares_outstanding, r.shares_as_of)
   OR abs(coalesce(m.max_drawdown_5d, 9) - coalesce(r.max_drawdown_5d, 9)) > 1e-12
"""


def build_universe(con, tickers: int, first: dt.date, last: dt.date) -> int:
    """Random-walk prices for `tickers` names on every session in [first, last], inserted session by session
    order (as nightly runs accumulate them), one share count per year and quarterly EPS."""
    days = calendar.sessions(first, last)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE bench_days AS SELECT date, session_idx FROM trading_sessions "
        "WHERE date BETWEEN ? AND ?",
        [days[0], days[-1]],
    )
    con.execute(f"""
        INSERT INTO prices_daily (ticker, date, open, high, low, close, adj_close, volume, source, fetched_at)
        WITH steps AS (
            SELECT 'T' || lpad(CAST(t AS VARCHAR), 5, '0') AS ticker, d.date, d.session_idx,
                   (random() - 0.5) * 0.04 AS step
            FROM range({tickers}) r(t) CROSS JOIN bench_days d
        ),
        walk AS (
            SELECT ticker, date, 50 * exp(sum(step) OVER (PARTITION BY ticker ORDER BY session_idx)) AS close
            FROM steps
        )
        SELECT ticker, date, close, close * 1.01, close * 0.99, close, close, 1000000, 'bench', now()
        FROM walk ORDER BY date, ticker
    """)
    con.execute("""
        INSERT INTO shares_outstanding (ticker, date, shares, public_on_date, source, fetched_at)
        SELECT DISTINCT ticker, make_date(year(date), 1, 1), 1e9 + hash(ticker) % 1000000000, true, 'bench', now()
        FROM prices_daily
    """)
    con.execute("""
        INSERT INTO earnings (ticker, period_end, reported_date, eps_diluted, source, fetched_at)
        SELECT DISTINCT ticker, last_day(make_date(year(date), (month(date) - 1) // 3 * 3 + 3, 1)),
               NULL, 0.5 + (hash(ticker) % 100) / 100.0, 'bench', now()
        FROM prices_daily
    """)
    return con.execute("SELECT count(*) FROM prices_daily").fetchone()[0]


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def add_session(con, day: dt.date) -> None:
    """The next session's bars: the nightly run's new data."""
    con.execute(
        """
        INSERT INTO prices_daily (ticker, date, open, high, low, close, adj_close, volume, source, fetched_at)
        SELECT ticker, ?, close * 1.001, close * 1.01, close * 0.99, close * 1.001, close * 1.001, volume,
               'bench', now()
        FROM prices_daily WHERE date = (SELECT max(date) FROM prices_daily)
    """,
        [day],
    )


def incremental(con, day: dt.date) -> float:
    return timed(lambda: metrics.compute_metrics(con, day, day, 60))


def run(tickers: int, years: int, workdir: Path) -> dict:
    last = calendar.sessions_back(calendar.latest_completed_session(), 1)
    first = last.replace(year=last.year - years)
    con = store.connect(workdir / "bench.duckdb")
    store.prepare(con)
    t0 = time.perf_counter()
    rows = build_universe(con, tickers, first, last)
    built = time.perf_counter() - t0
    print(f"universe: {tickers} tickers x {years} years = {rows:,} price rows (built in {built:.1f} s)")
    reference = timed(lambda: con.execute(REFERENCE))
    print(f"reference (one plain query, the same 15 columns): {reference:.2f} s")
    full = timed(lambda: metrics.compute_metrics(con, first, last, 60))
    print(f"full recompute of metrics_daily: {full:.2f} s ({full / reference:.2f}x reference)")
    mismatches = con.execute(MISMATCHES).fetchone()[0]
    print(f"rows where metrics_daily and the reference differ: {mismatches}")
    new_day = calendar.sessions_back(last, -1)
    add_session(con, new_day)
    inc = incremental(con, new_day)
    print(f"incremental update, one new session: {inc:.3f} s")
    con.close()

    con2 = store.connect(workdir / "bench2x.duckdb")
    store.prepare(con2)
    first2 = last.replace(year=last.year - 2 * years)
    rows2 = build_universe(con2, tickers, first2, last)
    add_session(con2, new_day)
    inc2 = incremental(con2, new_day)
    print(f"incremental update with twice the history ({rows2:,} rows): {inc2:.3f} s")
    con2.close()
    return {
        "rows": rows,
        "reference_s": round(reference, 3),
        "full_recompute_s": round(full, 3),
        "full_vs_reference": round(full / reference, 2),
        "mismatches": mismatches,
        "incremental_s": round(inc, 4),
        "rows_2x": rows2,
        "incremental_2x_history_s": round(inc2, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickers", type=int, default=3000)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mm-bench-") as tmp:
        result = run(args.tickers, args.years, Path(tmp))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
