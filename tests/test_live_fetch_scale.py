"""The live fetch of a large watchlist against a fake Yahoo at the HTTP layer (yfinance's real requests and
parsing): concurrent and chunked, backing off on 429 without losing names, and one hanging symbol costs only
itself. Speed is measured in benchmarks/live_fetch_benchmark.py, not asserted here."""

import datetime as dt
import threading

import pytest
import requests

from pipelines import calendar
from pipelines.sources import yahoo
from pipelines.sources.yahoo import YFinanceSource
from tests.support.fake_yahoo import FakeYahoo, YahooWorld, universe

DAYS = calendar.sessions(dt.date(2025, 10, 1), dt.date(2025, 11, 7))


def source(tmp_path, **kw) -> YFinanceSource:
    return YFinanceSource(tmp_path / "yf-cache", session=requests.Session(), missing_retry_delay=0.01, **kw)


@pytest.mark.slow
def test_500_names_under_latency_and_a_rate_limit_arrive_complete(tmp_path):
    closes = universe(500)
    # Every 5th request is answered 429, 20 in all: counted, not timed, so a busy machine sees the same night. A 429
    # can cost its whole chunk (16 names); the other chunks' requests still spend the budget in the first round,
    # so the in-step retry always finds Yahoo answering again.
    world = YahooWorld(closes, DAYS[-1], delay=0.01, throttle_every=5, throttle_budget=20)
    with FakeYahoo(world):
        batch = source(tmp_path).fetch_prices(list(closes), DAYS[-10], DAYS[-1])
    assert world.throttled == 20  # Yahoo said 429 to 20 requests ...
    assert batch.missing == [] and batch.problems == []  # ... and every name arrived all the same
    assert len(batch.prices) == len(closes) * 10
    got = batch.prices.set_index(["ticker", "date"])["close"]
    assert all(got[("S123", d)] == closes["S123"][d] for d in DAYS[-10:])  # the right bars for the right name
    assert 1 < world.max_in_flight <= yahoo.FETCH_WORKERS  # concurrent, and bounded


@pytest.mark.slow  # waits out the source's own 2 s bound, twice
def test_a_hanging_symbol_costs_only_itself(tmp_path):
    closes = universe(24)
    world = YahooWorld(closes, DAYS[-1])
    world.hang["S005"] = 60.0  # until released: the bound is the source's, not the fake's
    with FakeYahoo(world):
        # 2 s leaves the other chunks room on a busy machine; the retry asks each of the hung chunk's names alone.
        batch = source(tmp_path, timeout=2.0, missing_retries=1).fetch_prices(list(closes), DAYS[-3], DAYS[-1])
        world.release()  # the abandoned requests finish here, not in the next test's fake Yahoo
        for thread in threading.enumerate():
            if thread.name.startswith("fetch:"):
                thread.join(10)
    assert batch.missing == ["S005"]
    assert set(batch.prices["ticker"]) == set(closes) - {"S005"}
    [problem] = batch.problems
    assert problem.startswith("S005: no bars from Yahoo (") and "no answer within 2 s" in problem
