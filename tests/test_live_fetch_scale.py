"""The live fetch of a large watchlist against a fake Yahoo at the HTTP layer (yfinance's real requests and
parsing): concurrent and chunked, backing off on 429 without losing names, and one hanging symbol costs only
itself. Speed is measured in benchmarks/live_fetch_benchmark.py, not asserted here."""

import datetime as dt
import random
import threading

import pytest
import requests

from pipelines import calendar
from pipelines.sources import yahoo
from pipelines.sources.yahoo import YFinanceSource
from tests.fake_yahoo import FakeYahoo, YahooWorld

DAYS = calendar.sessions(dt.date(2025, 10, 1), dt.date(2025, 11, 7))


def universe(n: int, seed: int = 7) -> dict[str, dict[dt.date, float]]:
    rng = random.Random(seed)
    closes = {f"S{i:03d}": {d: round(50 + 100 * rng.random(), 2) for d in DAYS} for i in range(n)}
    closes["^IXIC"] = {d: 23_000.0 for d in DAYS}
    return closes


def source(tmp_path, **kw) -> YFinanceSource:
    return YFinanceSource(tmp_path / "yf-cache", session=requests.Session(), missing_retry_delay=0.5, **kw)


@pytest.mark.slow
def test_500_names_under_latency_and_a_rate_limit_arrive_complete(tmp_path):
    closes = universe(500)
    world = YahooWorld(closes, DAYS[-1], delay=0.15, rate_limit=40)
    with FakeYahoo(world):
        batch = source(tmp_path).fetch_prices(list(closes), DAYS[-10], DAYS[-1])
    assert world.throttled > 0  # Yahoo said 429 to some requests ...
    assert batch.missing == [] and batch.problems == []  # ... and every name arrived all the same
    assert len(batch.prices) == len(closes) * 10
    got = batch.prices.set_index(["ticker", "date"])["close"]
    assert all(got[("S123", d)] == closes["S123"][d] for d in DAYS[-10:])  # the right bars for the right name
    assert 1 < world.max_in_flight <= yahoo.FETCH_WORKERS  # concurrent, and bounded


def test_a_hanging_symbol_costs_only_itself(tmp_path):
    closes = universe(24)
    world = YahooWorld(closes, DAYS[-1])
    world.hang["S005"] = 8.0
    with FakeYahoo(world):
        batch = source(tmp_path, timeout=1.0).fetch_prices(list(closes), DAYS[-3], DAYS[-1])
        world.release()  # the abandoned requests finish here, not in the next test's fake Yahoo
        for thread in threading.enumerate():
            if thread.name.startswith("fetch:"):
                thread.join(10)
    assert batch.missing == ["S005"]
    assert set(batch.prices["ticker"]) == set(closes) - {"S005"}
    [problem] = batch.problems
    assert problem.startswith("S005: no bars from Yahoo (") and "no answer within 1 s" in problem
