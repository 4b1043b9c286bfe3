"""The yfinance adapter, driven through yfinance's real HTTP and parsing code with faked Yahoo responses."""

import datetime as dt
import json
import threading
import time
import warnings

import pandas as pd
import pytest
import requests

from pipelines import calendar
from pipelines.sources.base import SourceError, with_deadline
from pipelines.sources.yahoo import YFinanceSource, tidy_earnings, tidy_shares
from tests.support.fake_yahoo import FakeYahoo, chart_body

D = dt.date


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # yfinance's pandas-3 deprecation notices
        yield


def source(tmp_path):
    return YFinanceSource(tmp_path / "yf-cache", timeout=30, session=requests.Session())


@pytest.mark.slow
def test_failed_ticker_is_reported_and_the_rest_kept(tmp_path):
    days = calendar.sessions("2025-11-03", "2025-11-07")
    charts = {
        "NVDA": chart_body("NVDA", [(d, 200.0 - i) for i, d in enumerate(days)]),
        "^IXIC": chart_body("^IXIC", [(d, 23000.0) for d in days]),
        "ZZZZ": None,
    }
    with FakeYahoo(charts) as yahoo:
        batch = source(tmp_path).fetch_prices(["NVDA", "ZZZZ", "^IXIC"], days[0], days[-1])
    assert batch.missing == ["ZZZZ"]
    nvda = batch.prices[batch.prices["ticker"] == "NVDA"]
    assert nvda["date"].tolist() == days and nvda["close"].tolist() == [200.0, 199.0, 198.0, 197.0, 196.0]
    assert set(batch.prices["ticker"]) == {"NVDA", "^IXIC"}
    # one history request per answering symbol for the whole range; ZZZZ fails at its timezone lookup
    history = [u for u in yahoo.requests if "period1=" in u]
    assert len(history) == 2 and not any("ZZZZ" in u for u in history)


def test_split_and_dividend_events_become_tables(tmp_path):
    days = calendar.sessions("2024-06-03", "2024-06-14")
    body = chart_body("NVDA", [(d, 120.0) for d in days], splits={D(2024, 6, 10): 10}, dividends={D(2024, 6, 11): 0.01})
    with FakeYahoo({"NVDA": body}):
        batch = source(tmp_path).fetch_prices(["NVDA"], days[0], days[-1])
    assert batch.splits[["ticker", "date", "ratio"]].values.tolist() == [["NVDA", D(2024, 6, 10), 10.0]]
    assert batch.dividends.values.tolist() == [["NVDA", D(2024, 6, 11), 0.01]]


def test_no_symbol_answering_is_a_source_error(tmp_path):
    with FakeYahoo({}), pytest.raises(SourceError, match="no prices for any of NVDA, AMD"):
        source(tmp_path).fetch_prices(["NVDA", "AMD"], D(2025, 11, 3), D(2025, 11, 7))


def _yf2rec(path):
    return json.dumps(json.loads(path.read_text())["response"]["bodyJson"])


def test_recorded_chart_with_a_split(tmp_path, shared_yahoo):
    body = _yf2rec(shared_yahoo / "yf2rec_chart_NVDA_1d_20210201_20220131_split.json")
    with FakeYahoo({"NVDA": body}):
        batch = source(tmp_path).fetch_prices(["NVDA"], D(2021, 2, 1), D(2022, 1, 28))
    assert len(batch.prices) == 252 and batch.missing == []
    first = batch.prices.iloc[0]
    assert first["date"] == D(2021, 2, 1) and first["close"] == pytest.approx(13.237, abs=1e-3)
    assert batch.splits[["date", "ratio"]].values.tolist() == [[D(2021, 7, 20), 4.0]]


def test_recorded_chart_with_dividends(tmp_path, shared_yahoo):
    body = _yf2rec(shared_yahoo / "yf2rec_chart_MSFT_1d_20210201_20220131_div.json")
    with FakeYahoo({"MSFT": body}):
        batch = source(tmp_path).fetch_prices(["MSFT"], D(2021, 2, 1), D(2022, 1, 28))
    assert batch.dividends["dividend"].tolist() == [0.56, 0.56, 0.56, 0.62]
    assert (batch.prices["adj_close"] < batch.prices["close"]).iloc[0]  # dividend-adjusted history


def test_recorded_quarterly_diluted_eps(shared_yahoo):
    import yfinance as yf

    body = _yf2rec(shared_yahoo / "yf2rec_timeseries_AAPL_financials_quarterly_2024.json")
    with FakeYahoo({}, timeseries={"AAPL": body}):
        income = yf.Ticker("AAPL", session=requests.Session()).quarterly_income_stmt
    eps = tidy_earnings(income, "AAPL")
    got = dict(zip(eps["period_end"], eps["eps_diluted"]))
    assert got == {D(2024, 3, 31): 1.53, D(2024, 6, 30): 1.40, D(2024, 9, 30): 0.97, D(2024, 12, 31): 2.40}
    assert eps["reported_date"].isna().all()  # unknown: the metrics apply the conservative lag


def test_earnings_get_their_announcement_dates():
    income = pd.DataFrame(
        {pd.Timestamp("2025-06-30"): [0.13], pd.Timestamp("2025-09-30"): [0.18]}, index=["Diluted EPS"]
    )
    dates = pd.DataFrame(index=pd.DatetimeIndex(["2025-08-04 16:00", "2025-11-03 16:00", "2026-02-02 16:00"]))
    eps = tidy_earnings(income, "PLTR", dates)
    assert dict(zip(eps["period_end"], eps["reported_date"])) == {
        D(2025, 6, 30): D(2025, 8, 4),
        D(2025, 9, 30): D(2025, 11, 3),
    }


def test_a_quarter_missing_from_the_earnings_dates_never_takes_the_next_quarters_announcement():
    """Yahoo's list lacks the 2025-03-31 quarter's announcement; the next one (2025-07-05, 96 days later) is the
    June quarter's: with a 100-day window March's EPS counted as known from it, April to July had no EPS."""
    income = pd.DataFrame(
        {pd.Timestamp("2025-03-31"): [0.10], pd.Timestamp("2025-06-30"): [0.12]}, index=["Diluted EPS"]
    )
    dates = pd.DataFrame(index=pd.DatetimeIndex(["2025-07-05 16:00"]))
    eps = tidy_earnings(income, "XYZ", dates)
    assert dict(zip(eps["period_end"], eps["reported_date"])) == {D(2025, 3, 31): None, D(2025, 6, 30): D(2025, 7, 5)}


def test_share_history_deduplicated_despiked_and_split_adjusted():
    idx = pd.DatetimeIndex(
        ["2024-01-02", "2024-01-02", "2024-02-01", "2024-03-01", "2024-04-01", "2024-07-01"], tz="America/New_York"
    )
    series = pd.Series([2.40e9, 2.45e9, 4.9e9, 2.46e9, 2.47e9, 24.5e9], index=idx)
    splits = pd.Series([10.0], index=pd.DatetimeIndex(["2024-06-10"], tz="America/New_York"))
    out = tidy_shares(series, "NVDA", splits)
    assert out["date"].tolist() == [D(2024, 1, 2), D(2024, 3, 1), D(2024, 4, 1), D(2024, 7, 1)]
    assert out["shares"].tolist() == [24.5e9, 24.6e9, 24.7e9, 24.5e9]


def test_deadline_bounds_a_call_that_never_answers():
    release = threading.Event()
    started = time.monotonic()
    with pytest.raises(SourceError, match="yfinance prices NVDA: no answer within 0.2 s"):
        with_deadline(lambda: release.wait(30), 0.2, "yfinance prices NVDA")
    assert time.monotonic() - started < 5
    release.set()


def test_deadline_passes_errors_through_with_their_name():
    def boom():
        raise OSError("Connection refused")

    with pytest.raises(SourceError, match="OSError: Connection refused"):
        with_deadline(boom, 5, "yfinance prices")


def test_snapshot_from_yfinance_replays_identically(tmp_path):
    """`market-monitor snapshot`'s path: yfinance (fake Yahoo) -> snapshot folder -> replay source."""
    from pipelines.sources.replay import ReplaySource
    from pipelines.sources.snapshot import take_snapshot

    days = calendar.sessions("2024-06-03", "2024-06-14")
    charts = {
        "NVDA": chart_body(
            "NVDA",
            [(d, 120.0 + i) for i, d in enumerate(days)],
            splits={D(2024, 6, 10): 10},
            dividends={D(2024, 6, 11): 0.01},
        ),
        "^IXIC": chart_body("^IXIC", [(d, 17000.0 + i) for i, d in enumerate(days)]),
    }
    lines = []
    with FakeYahoo(charts):
        batch, _fund, written = take_snapshot(
            source(tmp_path), ["NVDA", "^IXIC"], [], days[0], days[-1], tmp_path / "snap", say=lines.append
        )
    assert written["NVDA.csv"] == 10 and written["^IXIC.csv"] == 10 and written["splits.csv"] == 1
    replayed = ReplaySource(tmp_path / "snap").fetch_prices(["NVDA", "^IXIC"], days[0], days[-1])
    cols = ["ticker", "date", "close", "adj_close"]
    pd.testing.assert_frame_equal(
        replayed.prices[cols].reset_index(drop=True),
        batch.prices[cols].sort_values(["ticker", "date"]).reset_index(drop=True),
    )
    assert replayed.splits[["ticker", "date", "ratio"]].values.tolist() == [["NVDA", D(2024, 6, 10), 10.0]]
    assert any("prices: 20 rows" in line for line in lines)


def test_a_live_bar_on_a_closed_day_is_dropped_and_named_not_fatal(tmp_path):
    """Yahoo sent ^IXIC a bar for the 2025-01-09 closure: the rest of the night is kept."""
    days = [D(2025, 1, 7), D(2025, 1, 8), D(2025, 1, 9), D(2025, 1, 10)]
    charts = {
        "NVDA": chart_body("NVDA", [(d, 140.0) for d in days if d != D(2025, 1, 9)]),
        "^IXIC": chart_body("^IXIC", [(d, 19000.0) for d in days]),
    }
    with FakeYahoo(charts):
        batch = source(tmp_path).fetch_prices(["NVDA", "^IXIC"], days[0], days[-1])
    assert batch.problems == ["^IXIC 2025-01-09: bar on a day the NYSE was closed, dropped"]
    assert sorted(set(batch.prices["date"])) == [D(2025, 1, 7), D(2025, 1, 8), D(2025, 1, 10)]
    assert len(batch.prices) == 6


def test_a_cache_yfinance_can_no_longer_read_is_moved_aside_not_fatal_every_night(tmp_path, monkeypatch):
    """A cookie jar or timezone cache left corrupt (a crash mid-write), or a jar pickled by another version: yfinance
    fails every request of every later night with no reason given. It is moved aside, the night says so."""
    import pickle
    import sqlite3

    from pipelines.sources import yahoo

    cache = tmp_path / "yf-cache"
    cache.mkdir()
    (cache / "tkr-tz.db").write_bytes(b"not a database, half written" * 200)
    jar = sqlite3.connect(cache / "cookies.db")
    jar.execute("CREATE TABLE _cookieschema (strategy VARCHAR PRIMARY KEY, fetch_date DATETIME, cookie_bytes BLOB)")
    jar.execute(
        "INSERT INTO _cookieschema VALUES ('basic', '2026-01-01', ?)", [pickle.dumps({"x": 1})[:-3]]
    )  # truncated: does not unpickle
    jar.commit()
    jar.close()
    days = calendar.sessions("2025-10-20", "2025-11-07")
    charts = {"NVDA": chart_body("NVDA", [(d, 190.0) for d in days])}
    with FakeYahoo(charts):
        monkeypatch.setattr(yahoo, "_cache_dirs_set", set())  # this process has not set the cache location yet
        batch = YFinanceSource(cache, timeout=30, session=requests.Session()).fetch_prices(["NVDA"], days[0], days[-1])
    assert len(batch.prices) == len(days) and batch.missing == []
    moved = sorted(
        p.name.split(".unusable-")[0] for p in cache.glob("*.unusable-*") if not p.name.endswith(("-wal", "-shm"))
    )
    assert moved == ["cookies.db", "tkr-tz.db"]
    assert any("tkr-tz.db could not be read (file is not a database): moved aside" in p for p in batch.problems)
    assert any("cookies.db could not be read (cookie does not load" in p for p in batch.problems)


def test_the_income_statements_average_shares_are_the_fallback_read_through_yfinance():
    import yfinance as yf

    from pipelines.sources.yahoo import tidy_average_shares
    from tests.support.fake_yahoo import statement_body

    body = statement_body("AMD", {D(2025, 3, 29): (0.44, 1.621e9), D(2025, 6, 28): (0.54, 1.622e9)})
    with FakeYahoo({}, timeseries={"AMD": body}):
        income = yf.Ticker("AMD", session=requests.Session()).quarterly_income_stmt
    averages = tidy_average_shares(income, "AMD")
    assert averages.sort_values("date").values.tolist() == [
        ["AMD", D(2025, 3, 29), 1.621e9],
        ["AMD", D(2025, 6, 28), 1.622e9],
    ]
    assert dict(zip(tidy_earnings(income, "AMD")["period_end"], tidy_earnings(income, "AMD")["eps_diluted"])) == {
        D(2025, 3, 29): 0.44,
        D(2025, 6, 28): 0.54,
    }


def test_a_stored_cookie_without_the_value_yfinance_reads_is_moved_aside(tmp_path, monkeypatch):
    """A jar that unpickles but lacks Yahoo's A3 cookie: yfinance raised KeyError('A3') inside every request of every
    later process until someone deleted cookies.db. The cache check reads it as yfinance does and moves it aside."""
    import pickle
    import sqlite3

    from pipelines.sources import yahoo

    cache = tmp_path / "yf-cache"
    cache.mkdir()
    jar = sqlite3.connect(cache / "cookies.db")
    jar.execute("CREATE TABLE _cookieschema (strategy VARCHAR PRIMARY KEY, fetch_date DATETIME, cookie_bytes BLOB)")
    jar.execute(
        "INSERT INTO _cookieschema VALUES ('curlCffi', '2026-01-01', ?)", [pickle.dumps({".yahoo.com": {"/": {}}})]
    )
    jar.commit()
    jar.close()
    days = calendar.sessions("2025-10-20", "2025-11-07")
    with FakeYahoo({"NVDA": chart_body("NVDA", [(d, 190.0) for d in days])}):
        monkeypatch.setattr(yahoo, "_cache_dirs_set", set())
        batch = YFinanceSource(cache, timeout=30, session=requests.Session()).fetch_prices(["NVDA"], days[0], days[-1])
    assert len(batch.prices) == len(days) and batch.missing == []
    assert any("the stored Yahoo cookie lacks what yfinance reads (KeyError: 'A3')" in p for p in batch.problems)
