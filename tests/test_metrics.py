"""metrics_daily and watchlist_daily (SQL) on synthetic markets, and against an independent pandas computation."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipelines import calendar
from tests.support.scenario import Market

D = dt.date


@pytest.fixture
def market(tmp_path):
    return Market(tmp_path / "mm.duckdb", ["AAA", "BBB"])


def test_split_restated_history_keeps_cap_and_returns_continuous(market):
    days = calendar.sessions("2024-05-28", "2024-06-14")
    split_day = D(2024, 6, 10)
    before = {d: 1000.0 + i for i, d in enumerate(days) if d < split_day}
    fetched_before = dt.datetime(2024, 6, 7, 22, 0)
    market.prices("AAA", before, fetched_at=fetched_before)  # stored on the pre-split basis, fetched before it
    market.shares("AAA", "2024-05-01", 2.5e9, fetched_at=fetched_before)
    after = {d: (1000.0 + i) / 10 for i, d in enumerate(days) if d >= D(2024, 6, 3)}  # Yahoo's restated window
    market.prices("AAA", after, splits={split_day: 10})
    market.compute(days[0], days[-1])
    caps = [market.metric("AAA", d, "market_cap") for d in days]
    assert all(c == pytest.approx(cap, rel=0.01) for c, cap in zip(caps, caps[1:]))
    assert market.metric("AAA", split_day, "return_1d") == pytest.approx(1 / 1008, rel=1e-6)
    assert market.metric("AAA", split_day, "return_5d") > 0
    assert market.metric("AAA", split_day, "shares_outstanding") == 2.5e10


def test_returns_count_sessions_across_a_holiday(market):
    # 2024-07-04 is a holiday: five sessions before 2024-07-10 is 2024-07-02
    days = calendar.sessions("2024-06-24", "2024-07-10")
    market.prices("AAA", {d: 100.0 + i for i, d in enumerate(days)})
    market.compute(days[0], days[-1])
    close = dict(zip(days, [100.0 + i for i in range(len(days))]))
    assert market.metric("AAA", D(2024, 7, 10), "return_5d") == pytest.approx(
        close[D(2024, 7, 10)] / close[D(2024, 7, 2)] - 1
    )


def test_missing_bar_gives_null_not_a_six_session_return(market):
    days = calendar.sessions("2024-06-03", "2024-06-14")
    market.prices("AAA", {d: 100.0 + i for i, d in enumerate(days) if d != D(2024, 6, 7)})
    market.compute(days[0], days[-1])
    assert market.metric("AAA", D(2024, 6, 14), "return_5d") is None  # its base session 06-07 has no bar
    assert market.metric("AAA", D(2024, 6, 13), "return_5d") == pytest.approx(108 / 103 - 1)


def test_drawdown_edges_first_day_and_still_open(market):
    days = market.series("AAA", "2024-06-03", [100, 120, 110, 90])
    market.compute(days[0], days[-1])
    assert market.metric("AAA", days[0], "drawdown_52w") == 0
    assert market.metric("AAA", days[0], "max_drawdown_5d") == 0
    assert market.metric("AAA", days[-1], "drawdown_52w") == pytest.approx(90 / 120 - 1)
    assert market.metric("AAA", days[-1], "max_drawdown_5d") == pytest.approx(90 / 120 - 1)
    assert market.metric("AAA", days[1], "max_drawdown_5d") == 0  # only rose


def test_cap_uses_the_latest_count_on_or_before_the_date(market):
    days = market.series("AAA", "2024-06-03", [10.0] * 6)
    market.shares("AAA", "2024-06-05", 2e9)
    market.compute(days[0], days[-1])
    assert market.metric("AAA", days[1], "market_cap") is None
    assert market.metric("AAA", days[2], "market_cap") == 2e10
    assert market.metric("AAA", days[5], "shares_as_of") == D(2024, 6, 5)


def test_eps_ttm_point_in_time_and_lag_for_unknown_dates(market):
    days = market.series("AAA", "2024-04-01", [100.0] * 40)
    market.eps(
        "AAA",
        [
            ("2023-06-30", "2023-07-30", 1.0),
            ("2023-09-30", "2023-10-30", 1.0),
            ("2023-12-31", "2024-01-30", 1.0),
            ("2024-03-31", "2024-04-25", 2.0),
            ("2023-03-31", "2023-04-30", 0.5),
        ],
    )
    market.compute(days[0], days[-1])
    assert market.metric("AAA", D(2024, 4, 24), "eps_ttm") == pytest.approx(3.5)  # Q2'23..Q1'24 not yet known
    assert market.metric("AAA", D(2024, 4, 25), "eps_ttm") == pytest.approx(5.0)
    assert market.metric("AAA", D(2024, 4, 25), "pe_ttm") == pytest.approx(20.0)


def test_eps_unknown_announcement_counts_after_the_lag(market):
    days = market.series("AAA", "2024-04-01", [100.0] * 60)
    market.eps(
        "AAA",
        [("2023-06-30", None, 1.0), ("2023-09-30", None, 1.0), ("2023-12-31", None, 1.0), ("2024-03-31", None, 1.0)],
    )
    market.compute(days[0], days[-1])
    assert market.metric("AAA", D(2024, 5, 29), "eps_ttm") is None  # 2024-03-31 + 60 days = 2024-05-30
    assert market.metric("AAA", D(2024, 5, 30), "eps_ttm") == pytest.approx(4.0)


def test_negative_or_partial_eps_gives_no_pe(market):
    days = market.series("AAA", "2024-06-03", [50.0] * 3)
    market.series("BBB", "2024-06-03", [50.0] * 3)
    market.eps(
        "AAA",
        [
            ("2023-06-30", "2023-07-30", -1.0),
            ("2023-09-30", "2023-10-30", 0.2),
            ("2023-12-31", "2024-01-30", 0.2),
            ("2024-03-31", "2024-04-25", 0.2),
        ],
    )
    market.eps("BBB", [("2023-12-31", "2024-01-30", 1.0), ("2024-03-31", "2024-04-25", 1.0)])
    market.compute(days[0], days[-1])
    assert market.metric("AAA", days[0], "eps_ttm") == pytest.approx(-0.4)
    assert market.metric("AAA", days[0], "pe_ttm") is None
    assert market.metric("BBB", days[0], "eps_ttm") is None  # two quarters are not a trailing year


def test_watchlist_ignores_an_ipo_inside_the_window_and_a_name_without_shares(tmp_path):
    m = Market(tmp_path / "mm.duckdb", ["AAA", "NEW", "NOSH"])
    days = m.series("AAA", "2024-06-03", [100, 100, 100, 100, 100, 90])
    m.prices("NEW", {days[4]: 50.0, days[5]: 60.0})  # lists inside the window
    m.series("NOSH", "2024-06-03", [10, 10, 10, 10, 10, 8])
    m.series("^IXIC", "2024-06-03", [1000.0] * 6)
    m.shares("AAA", "2024-01-02", 1e9)
    m.shares("NEW", "2024-06-01", 1e10)
    m.compute(days[0], days[-1])
    w = m.watch(days[-1])
    assert w["n_cap_pairs"] == 1 and w["cap_change_5d"] == pytest.approx(-10e9)
    assert w["cap_return_5d"] == pytest.approx(-0.10)
    assert w["n_with_market_cap"] == 2 and w["n_expected"] == 3 and list(w["missing_tickers"]) == []
    assert w["n_names_down"] == 2 and w["worst_ticker"] == "NOSH" and w["worst_return_5d"] == pytest.approx(-0.2)
    assert m.watch(days[3])["n_expected"] == 2  # NEW not listed yet: not missing


def test_sql_matches_an_independent_pandas_computation(tmp_path):
    rng = np.random.default_rng(7)
    days = calendar.sessions("2023-01-03", "2024-06-28")
    m = Market(tmp_path / "mm.duckdb", ["T0", "T1", "T2"])
    expected = []
    for i, ticker in enumerate(["T0", "T1", "T2"]):
        close = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.02, len(days)))), index=days)
        close[rng.random(len(days)) < 0.03] = np.nan  # missing bars
        m.prices(ticker, close.dropna().to_dict())
        shares = pd.Series(np.nan, index=days)
        shares.iloc[[0, 100, 250]] = [1e9 * (i + 1), 1.1e9 * (i + 1), 0.9e9 * (i + 1)]
        for d, s in shares.dropna().items():
            m.shares(ticker, d.isoformat(), s)
        shares = shares.ffill()
        cap = close * shares
        frame = pd.DataFrame(
            {
                "ticker": ticker,
                "date": days,
                "close": close,
                "return_1d": close / close.shift(1) - 1,
                "return_5d": close / close.shift(5) - 1,
                "cap_change_5d": cap - cap.shift(5),
                "drawdown_52w": close / close.rolling(252, min_periods=1).max() - 1,
                "max_drawdown_5d": [
                    (lambda w: (w / w.cummax() - 1).min())(close.iloc[max(0, j - 5) : j + 1].dropna())
                    for j in range(len(days))
                ],
            }
        )
        expected.append(frame.dropna(subset=["close"]))
    expected = pd.concat(expected).sort_values(["ticker", "date"]).reset_index(drop=True)
    m.compute(days[0], days[-1])
    got = m.con.execute(
        "SELECT ticker, date, close, return_1d, return_5d, cap_change_5d, drawdown_52w, "
        "max_drawdown_5d FROM metrics_daily ORDER BY ticker, date"
    ).df()
    got["date"] = pd.to_datetime(got["date"]).dt.date
    assert len(got) == len(expected) > 1000
    pd.testing.assert_frame_equal(got, expected[got.columns], check_dtype=False, rtol=1e-9)


def test_incremental_update_equals_the_full_recompute(tmp_path):
    """The nightly one-session update reads only its lookback window; it must agree with a full recompute."""
    rng = np.random.default_rng(3)
    days = calendar.sessions("2022-01-03", "2024-06-28")
    m = Market(tmp_path / "mm.duckdb", ["T0", "T1"])
    for ticker in ["T0", "T1"]:
        m.prices(ticker, dict(zip(days, 50 * np.exp(np.cumsum(rng.normal(0, 0.02, len(days)))))))
        m.shares(ticker, "2021-06-30", 1e9)  # a count far older than the update's lookback
        m.eps(ticker, [(q, None, 0.5) for q in ("2021-03-31", "2021-06-30", "2021-09-30", "2021-12-31")])
    m.compute(days[0], days[-1])
    query = "SELECT * FROM metrics_daily WHERE date >= '2024-06-20' ORDER BY ticker, date"
    full = m.con.execute(query).fetchall()
    for day in days[-7:]:
        m.compute(day, day)
    assert m.con.execute(query).fetchall() == full
    assert full[-1][4] == 1e9 and full[-1][13] == pytest.approx(2.0)  # stale count and EPS still in force
