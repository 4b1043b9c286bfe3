import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from pipelines.sources.replay import ReplaySource, SnapshotError, last_snapshot_session, read_prices
from pipelines.sources.snapshot import write_snapshot
from tests.support.synthetic import basic_snapshot

D = dt.date


def test_round_trip_through_snapshot_writer(tmp_path):
    src = ReplaySource(basic_snapshot(tmp_path / "a"))
    (tmp_path / "a" / "dividends.csv").write_text("ticker,ex_date,dividend_per_share\nMETA,2024-06-14,0.5\n")
    syms = ["NVDA", "META", "^IXIC"]
    batch = src.fetch_prices(syms, D(2024, 6, 3), D(2024, 8, 30))
    fund = src.fetch_fundamentals(syms, D(2024, 6, 3), D(2024, 8, 30))
    write_snapshot(batch, fund, tmp_path / "b")
    again = ReplaySource(tmp_path / "b")
    batch2 = again.fetch_prices(syms, D(2024, 6, 3), D(2024, 8, 30))
    fund2 = again.fetch_fundamentals(syms, D(2024, 6, 3), D(2024, 8, 30))

    def same(a, b, keys):
        pd.testing.assert_frame_equal(
            a.sort_values(keys).reset_index(drop=True), b.sort_values(keys).reset_index(drop=True)
        )

    same(batch.prices, batch2.prices, ["ticker", "date"])
    same(batch.dividends, batch2.dividends, ["ticker", "ex_date"])
    same(fund.shares, fund2.shares, ["ticker", "date"])
    same(fund.earnings, fund2.earnings, ["ticker", "period_end"])
    assert len(batch.prices) == 3 * 63 and batch.dividends["dividend"].tolist() == [0.5]
    assert (tmp_path / "b" / "^IXIC.csv").is_file()


def test_index_file_without_caret_and_empty_adj_close(tmp_path):
    src = ReplaySource(basic_snapshot(tmp_path))
    batch = src.fetch_prices(["^IXIC"], D(2024, 6, 3), D(2024, 6, 7))
    assert batch.missing == [] and len(batch.prices) == 5
    assert (batch.prices["adj_close"] == batch.prices["close"]).all()
    assert last_snapshot_session(tmp_path, "^IXIC") == D(2024, 8, 30)


def test_missing_symbol_is_reported_by_name(tmp_path):
    src = ReplaySource(basic_snapshot(tmp_path, tickers=["NVDA"]))
    batch = src.fetch_prices(["NVDA", "AMD", "^IXIC"], D(2024, 6, 3), D(2024, 6, 7))
    assert batch.missing == ["AMD"]
    fund = src.fetch_fundamentals(["NVDA", "AMD"], D(2024, 6, 3), D(2024, 6, 7))
    assert "AMD shares: none in snapshot" in fund.problems


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("date,open,high,low,volume\n2024-06-03,1,1,1,5\n", "NVDA.csv line 1: missing column(s) close"),
        (
            "date,open,high,low,close,adj_close,volume\n2024-06-03,1,1,1,1,,5\n06/04/2024,1,1,1,1,,5\n",
            "NVDA.csv line 3: date '06/04/2024' is not a date",
        ),
        ("date,open,high,low,close,adj_close,volume\n2024-06-03,1,1,1,-4,,5\n", "NVDA.csv line 2: close '-4' must be"),
        ("date,open,high,low,close,adj_close,volume\n2024-06-03,1,1,1,abc,,5\n", "line 2: close 'abc' is not a number"),
        (
            "date,open,high,low,close,adj_close,volume\n2024-06-03,1,1,1,1,,5\n2024-06-03,1,1,1,2,,5\n",
            "NVDA.csv line 3: duplicate date 2024-06-03",
        ),
        ("date,open,high,low,close,adj_close,volume\n2024-06-03,1,1,1,,,5\n", "NVDA.csv line 2: close is empty"),
        ("date,open,high,low,close,adj_close,volume\n2024-06-03,1,1,1,nan,,5\n", "close 'nan' is not finite"),
    ],
)
def test_malformed_price_file_names_file_line_and_problem(tmp_path, content, message):
    (tmp_path / "NVDA.csv").write_text(content)
    with pytest.raises(SnapshotError) as err:
        ReplaySource(tmp_path).fetch_prices(["NVDA"], D(2024, 1, 1), D(2024, 12, 31))
    assert message in str(err.value)


def test_malformed_eps_file(tmp_path):
    basic_snapshot(tmp_path)
    (tmp_path / "eps.csv").write_text("ticker,period_end,reported_date,eps_diluted\nNVDA,2024-03-31,soon,1.0\n")
    with pytest.raises(SnapshotError, match="eps.csv line 2: reported_date 'soon' is not a date"):
        ReplaySource(tmp_path).fetch_fundamentals(["NVDA"], D(2024, 1, 1), D(2024, 12, 31))


def test_shared_market_data_reads_cleanly(shared_market):
    src = ReplaySource(shared_market)
    syms = ["NVDA", "PLTR", "ORCL", "META", "AMD", "CRWV", "^IXIC"]
    batch = src.fetch_prices(syms, D(2025, 10, 31), D(2025, 11, 7))
    nvda = batch.prices[batch.prices["ticker"] == "NVDA"].set_index("date")["close"]
    assert nvda[D(2025, 10, 31)] == 202.49 and nvda[D(2025, 11, 7)] == 188.15
    assert batch.missing == []


def test_a_snapshot_round_trips_bit_for_bit(tmp_path):
    """Closes like 1/3 and 11-digit share counts come back as the same doubles, not rounded to 10 digits."""
    from pipelines.sources.base import Fundamentals, PriceBatch

    days = [D(2024, 6, 3), D(2024, 6, 4), D(2024, 6, 5)]
    closes = [1 / 3, 188.15000000000001, 123456.78901234567]
    prices = pd.DataFrame(
        {
            "ticker": "NVDA",
            "date": days,
            "open": closes,
            "high": closes,
            "low": closes,
            "close": closes,
            "adj_close": [c * 0.99 for c in closes],
            "volume": pd.array([1, 2, 3], dtype="Int64"),
        }
    )
    shares = pd.DataFrame({"ticker": ["NVDA"], "date": [D(2024, 6, 3)], "shares": [24305123457.0]})
    eps = pd.DataFrame(
        {
            "ticker": ["NVDA"],
            "period_end": [D(2024, 3, 31)],
            "reported_date": [D(2024, 5, 22)],
            "eps_diluted": [0.1234567890123456],
        }
    )
    write_snapshot(PriceBatch(prices), Fundamentals(shares, eps), tmp_path / "s")
    src = ReplaySource(tmp_path / "s")
    back = src.fetch_prices(["NVDA"], days[0], days[-1]).prices
    fund = src.fetch_fundamentals(["NVDA"], days[0], days[-1])
    for col in ("open", "high", "low", "close", "adj_close"):
        assert back[col].tolist() == prices[col].tolist()
    assert fund.shares["shares"].tolist() == [24305123457.0]
    assert fund.earnings["eps_diluted"].tolist() == [0.1234567890123456]


def test_a_night_parses_only_its_window_yet_names_the_file_line_of_what_it_refuses(tmp_path):
    """A nightly replay reads one window of each file, not years: a bad value outside it is not tonight's
    business; inside it the error still names the file's own line, and an unreadable date is never skipped."""
    path = tmp_path / "AMD.csv"
    path.write_text(
        "date,open,high,low,close,adj_close,volume\n2024-01-02,10,11,9,10,10,100\n"
        "2024-01-03,10,11,9,-5,10,100\n2024-06-03,10,11,9,10.5,10.5,100\n"
    )
    june = read_prices(path, "AMD", dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    assert list(june["close"]) == [10.5] and list(june["date"]) == [dt.date(2024, 6, 3)]
    with pytest.raises(SnapshotError, match=r"AMD.csv line 3: close '-5' must be positive"):
        read_prices(path, "AMD", dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    path.write_text(path.read_text() + "2024-6-4,10,11,9,10,10,100\n")
    with pytest.raises(SnapshotError, match=r"AMD.csv line 5: date '2024-6-4' is not a date"):
        read_prices(path, "AMD", dt.date(2024, 6, 1), dt.date(2024, 6, 30))


def test_the_nightly_window_read_matches_the_full_parse_of_every_file():
    """The fast path reads only the window's lines; the strict per-file parse of the same files must agree."""
    from pipelines.sources.replay import _prices, _window_all, read_prices, symbol_file

    folder = Path(__file__).resolve().parent.parent / "examples" / "november-2025"
    files = {s: symbol_file(folder, s) for s in ["NVDA", "PLTR", "ORCL", "META", "AMD", "CRWV", "^IXIC"]}
    start, end = dt.date(2025, 10, 27), dt.date(2025, 11, 7)
    fast = _prices(_window_all(files, start, end).reset_index(drop=True), None)
    strict = pd.concat([read_prices(p, s, start, end) for s, p in files.items()], ignore_index=True)
    strict = strict[(strict["date"] >= start) & (strict["date"] <= end)].reset_index(drop=True)
    assert len(fast) == 7 * 10
    pd.testing.assert_frame_equal(fast.reset_index(drop=True), strict)


def test_quarter_average_shares_are_read_as_the_fallback(tmp_path):
    snap = basic_snapshot(tmp_path / "snap")
    (snap / "shares_weighted.csv").write_text(
        "ticker,period_end,reported_date,weighted_basic_shares,weighted_diluted_shares\n"
        "NVDA,2023-10-29,2023-11-21,24640000000,24940000000\nZZZZ,2023-10-29,,1,1\n"
    )
    fund = ReplaySource(snap).fetch_fundamentals(["NVDA"], dt.date(2024, 6, 3), dt.date(2024, 8, 30))
    assert fund.average_shares.values.tolist() == [["NVDA", dt.date(2023, 10, 29), 24.64e9]]
    (snap / "shares_weighted.csv").write_text("ticker,period_end,reported_date,weighted_basic_shares\nNVDA,x,,1\n")
    with pytest.raises(SnapshotError, match="shares_weighted.csv line 2"):
        ReplaySource(snap).fetch_fundamentals(["NVDA"], dt.date(2024, 6, 3), dt.date(2024, 8, 30))
