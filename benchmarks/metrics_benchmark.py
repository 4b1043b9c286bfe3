"""Benchmark of the metrics SQL on a synthetic universe (default 3,000 tickers x 10 years of sessions).

Prints the figures and, as its last line, a JSON object:
  rows, reference_s, full_recompute_s, incremental_s, incremental_2x_history_s (and a few more).

  .venv/bin/python benchmarks/metrics_benchmark.py [--tickers 3000] [--years 10]

reference_s is a bare DuckDB window query over the same rows (5-session lag and 252-session rolling max per
ticker, written to a table): the floor that the full recompute is measured against.
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

from pipelines import calendar, metrics, store  # noqa: E402

REFERENCE = """
CREATE OR REPLACE TABLE reference_windows AS
SELECT ticker, date, close,
       close / lag(close, 5) OVER w - 1 AS return_5d,
       close / max(close) OVER (w ROWS BETWEEN 251 PRECEDING AND CURRENT ROW) - 1 AS drawdown_52w
FROM prices_daily
WINDOW w AS (PARTITION BY ticker ORDER BY date)
"""


def build_universe(con, tickers: int, first: dt.date, last: dt.date) -> int:
    """Random-walk prices for `tickers` names on every session in [first, last], inserted session by session
    order (as nightly runs accumulate them), one share count per year and quarterly EPS."""
    days = calendar.sessions(first, last)
    con.execute("CREATE OR REPLACE TEMP TABLE bench_days AS SELECT date, session_idx FROM trading_sessions "
                "WHERE date BETWEEN ? AND ?", [days[0], days[-1]])
    con.execute(f"""
        INSERT INTO prices_daily
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
        INSERT INTO shares_outstanding
        SELECT DISTINCT ticker, make_date(year(date), 1, 1), 1e9 + hash(ticker) % 1000000000, 'bench', now()
        FROM prices_daily
    """)
    con.execute("""
        INSERT INTO earnings
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
    con.execute("""
        INSERT INTO prices_daily
        SELECT ticker, ?, close * 1.001, close * 1.01, close * 0.99, close * 1.001, close * 1.001, volume,
               'bench', now()
        FROM prices_daily WHERE date = (SELECT max(date) FROM prices_daily)
    """, [day])


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
    print(f"reference (bare window query, 5-session lag + 252-session max): {reference:.2f} s")
    full = timed(lambda: metrics.compute_metrics(con, first, last, 60))
    print(f"full recompute of metrics_daily: {full:.2f} s ({full / reference:.2f}x reference)")
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
    return {"rows": rows, "reference_s": round(reference, 3), "full_recompute_s": round(full, 3),
            "full_vs_reference": round(full / reference, 2), "incremental_s": round(inc, 4),
            "rows_2x": rows2, "incremental_2x_history_s": round(inc2, 4)}


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
