"""Benchmark of the live price fetch (yfinance's real requests and parsing) against a fake Yahoo at the HTTP layer
with a realistic latency per request and, optionally, a rate limit (429 beyond it).

  .venv/bin/python benchmarks/live_fetch_benchmark.py [--sizes 7,100,500] [--delay 0.15] [--rate-limit 40]

Prints one JSON object per size: seconds (a first night: no timezone cache), next_night_seconds (with it),
rows, missing names, chart requests, requests answered 429, the most requests in flight at once.
Needs the dev install (`responses`, the fake Yahoo in tests/).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from pipelines import calendar  # noqa: E402
from pipelines.sources import yahoo  # noqa: E402
from tests.support.fake_yahoo import FakeYahoo, YahooWorld, universe  # noqa: E402


def measure(n: int, delay: float, rate_limit: float | None, sessions: int) -> dict:
    days = calendar.sessions(dt.date(2025, 10, 1), dt.date(2025, 11, 7))
    closes = universe(n)
    world = YahooWorld(closes, days[-1], delay=delay, rate_limit=rate_limit)
    with FakeYahoo(world) as fake:
        source = yahoo.YFinanceSource(tempfile.mkdtemp(prefix="yf-bench-"), session=requests.Session())
        started = time.perf_counter()
        batch = source.fetch_prices(list(closes), days[-sessions], days[-1])
        seconds = time.perf_counter() - started
        first_requests = len(fake.requests)
        # The next night: yfinance's timezone cache (data/yfinance-cache in production) spares one request a name.
        started = time.perf_counter()
        source.fetch_prices(list(closes), days[-sessions], days[-1])
        next_night = time.perf_counter() - started
    return {
        "names": len(closes),
        "seconds": round(seconds, 1),
        "next_night_seconds": round(next_night, 1),
        "rows": len(batch.prices),
        "missing": len(batch.missing),
        "requests": first_requests,
        "throttled_429": world.throttled,
        "max_in_flight": world.max_in_flight,
        "delay_s": delay,
        "rate_limit_per_s": rate_limit,
        "workers": yahoo.FETCH_WORKERS,
        "chunk_size": yahoo.CHUNK_SIZE,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="7,100,500", help="watchlist sizes (the benchmark is added)")
    parser.add_argument("--delay", type=float, default=0.15, help="seconds per request")
    parser.add_argument("--rate-limit", type=float, default=None, help="requests per second before 429")
    parser.add_argument("--sessions", type=int, default=10, help="sessions fetched (the nightly re-fetch window)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("yfinance").setLevel(logging.CRITICAL)
    for n in (int(x) for x in args.sizes.split(",")):
        print(json.dumps(measure(n, args.delay, args.rate_limit, args.sessions)), flush=True)


if __name__ == "__main__":
    main()
