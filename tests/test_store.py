import datetime as dt

import pandas as pd
import pytest

from pipelines.errors import InvalidData
from pipelines.sources.base import PriceBatch
from pipelines.sources.replay import ReplaySource, SnapshotError
from pipelines.storage import store
from tests.support.synthetic import basic_snapshot

D = dt.date
NOW = dt.datetime(2024, 9, 1, 22, 0)
BEFORE_SPLIT = dt.datetime(2024, 6, 7, 22, 0)  # NVDA split 10:1, effective 2024-06-10
COUNT = "INSERT INTO shares_outstanding (ticker, date, shares, source, fetched_at) VALUES "


@pytest.fixture
def con(tmp_path):
    c = store.connect(tmp_path / "db" / "mm.duckdb")
    store.prepare(c)
    yield c
    c.close()


def bars(ticker, closes: dict):
    return pd.DataFrame(
        [
            {"ticker": ticker, "date": d, "open": c, "high": c, "low": c, "close": c, "adj_close": c, "volume": 100}
            for d, c in closes.items()
        ]
    )


def dump(con, table):
    return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()


def test_migrations_are_recorded_and_idempotent(con):
    assert store.migrate(con) == []
    versions = [r[0] for r in con.execute("SELECT version FROM schema_version").fetchall()]
    assert versions == sorted(versions) and versions[0] == 1
    assert con.execute("SELECT count(*) FROM trading_sessions WHERE date = '2025-01-09'").fetchone()[0] == 0


def test_same_range_twice_leaves_identical_tables(con, tmp_path):
    src = ReplaySource(basic_snapshot(tmp_path / "snap"))
    batch = src.fetch_prices(["NVDA", "AMD", "^IXIC"], D(2024, 6, 3), D(2024, 8, 30))
    fund = src.fetch_fundamentals(["NVDA", "AMD"], D(2024, 6, 3), D(2024, 8, 30))
    store.store_prices(con, batch, "replay", NOW)
    store.store_fundamentals(con, fund.shares, fund.earnings, ["NVDA", "AMD"], "replay", NOW)
    first = {t: dump(con, t) for t in ("prices_daily", "shares_outstanding", "earnings")}
    later = NOW + dt.timedelta(days=1)
    store.store_prices(con, batch, "replay", later)
    store.store_fundamentals(con, fund.shares, fund.earnings, ["NVDA", "AMD"], "replay", later)
    assert {t: dump(con, t) for t in first} == first
    assert len(first["prices_daily"]) == 3 * 63


def test_revised_bar_replaces_the_old_one_and_records_when(con):
    store.store_prices(con, PriceBatch(bars("NVDA", {D(2024, 6, 3): 100.0})), "replay", NOW)
    later = NOW + dt.timedelta(days=1)
    store.store_prices(con, PriceBatch(bars("NVDA", {D(2024, 6, 3): 101.0})), "replay", later)
    assert con.execute("SELECT close, fetched_at FROM prices_daily").fetchall() == [(101.0, later)]


def test_failed_step_leaves_previous_data_intact(con):
    store.store_prices(con, PriceBatch(bars("NVDA", {D(2024, 6, 3): 100.0})), "replay", NOW)
    before = dump(con, "prices_daily")
    impossible = pd.DataFrame([{"ticker": "NVDA", "date": D(2024, 6, 3), "ratio": 1e-300}])
    with pytest.raises(InvalidData, match="NVDA split on 2024-06-03: split ratio 1e-300 is outside"):
        store.store_prices(
            con,
            PriceBatch(bars("NVDA", {D(2024, 6, 3): 50.0}), splits=impossible),
            "replay",
            NOW + dt.timedelta(days=1),
        )
    assert dump(con, "prices_daily") == before
    assert dump(con, "splits") == []


def test_bars_that_cannot_be_true_are_kept_aside_and_the_stored_bar_kept(con):
    store.store_prices(con, PriceBatch(bars("NVDA", {D(2024, 6, 3): 100.0, D(2024, 6, 4): 101.0})), "replay", NOW)
    later = NOW + dt.timedelta(days=1)
    broken = pd.concat([bars("NVDA", {D(2024, 6, 3): 1e300, D(2024, 6, 4): 102.0}), bars("AMD", {D(2024, 6, 4): None})])
    out = store.store_prices(con, PriceBatch(broken), "replay", later)
    assert out["rows"] == 1 and len(out["rejected"]) == 2
    assert dict(con.execute("SELECT date, close FROM prices_daily WHERE ticker = 'NVDA'").fetchall()) == {
        D(2024, 6, 3): 100.0,
        D(2024, 6, 4): 102.0,
    }  # the refused bar never replaced the stored one
    refused = con.execute("SELECT ticker, date, reason FROM rejected_facts ORDER BY ticker").fetchall()
    assert refused == [
        ("AMD", D(2024, 6, 4), "close is not a positive finite number"),
        ("NVDA", D(2024, 6, 3), "a price above 10000000.0, beyond any real share price"),
    ]
    # the source sends a usable bar again: the reject is cleared
    store.store_prices(con, PriceBatch(bars("NVDA", {D(2024, 6, 3): 100.5})), "replay", later)
    assert con.execute("SELECT ticker FROM rejected_facts").fetchall() == [("AMD",)]


def test_a_close_outside_its_range_or_an_impossible_market_cap_is_refused(con):
    con.execute(COUNT + "('NVDA', '2024-01-02', 24e9, 'replay', ?)", [NOW])
    bar = bars("NVDA", {D(2024, 6, 3): 315.05}).assign(low=200.0, high=210.0)
    giant = bars("NVDA", {D(2024, 6, 4): 9_000_000.0})  # a believable price, but x 24e9 shares = $216,000T
    out = store.store_prices(con, PriceBatch(pd.concat([bar, giant])), "replay", NOW)
    assert out["rows"] == 0
    reasons = [r[0] for r in con.execute("SELECT reason FROM rejected_facts ORDER BY date").fetchall()]
    assert reasons[0] == "close 315.05 outside the day's low-high 200.0-210.0"
    assert reasons[1].startswith("market cap 2.16e+17")


def test_bars_on_non_sessions_are_rejected(con):
    with pytest.raises(ValueError, match="non-sessions, e.g. NVDA 2024-07-04"):
        store.store_prices(con, PriceBatch(bars("NVDA", {D(2024, 7, 4): 1.0})), "replay", NOW)


def test_a_new_split_restates_stored_history_once(con):
    """Yahoo restates closes for every later split; history stored before the split must follow."""
    pre = {D(2024, 6, 5): 1200.0, D(2024, 6, 6): 1210.0, D(2024, 6, 7): 1208.9}
    store.store_prices(con, PriceBatch(bars("NVDA", pre)), "yfinance", BEFORE_SPLIT)
    con.execute(COUNT + "('NVDA', '2024-04-28', 2.4598e9, 'yfinance', ?)", [BEFORE_SPLIT])
    post = bars("NVDA", {D(2024, 6, 7): 120.89, D(2024, 6, 10): 121.79})  # re-fetch window, adjusted
    splits = pd.DataFrame([{"ticker": "NVDA", "date": D(2024, 6, 10), "ratio": 10.0}])
    out = store.store_prices(con, PriceBatch(post, splits=splits), "yfinance", NOW)
    assert out["splits_applied"] == ["NVDA 2024-06-10 10:1"]
    closes = dict(con.execute("SELECT date, close FROM prices_daily").fetchall())
    assert closes == {D(2024, 6, 5): 120.0, D(2024, 6, 6): 121.0, D(2024, 6, 7): 120.89, D(2024, 6, 10): 121.79}
    assert con.execute("SELECT shares FROM shares_outstanding").fetchone()[0] == pytest.approx(24.598e9)
    # the same split seen again (next night's re-fetch) changes nothing
    store.store_prices(con, PriceBatch(post, splits=splits), "yfinance", NOW)
    assert dict(con.execute("SELECT date, close FROM prices_daily").fetchall()) == closes


def _closes(con, ticker="NVDA"):
    return dict(con.execute("SELECT date, close FROM prices_daily WHERE ticker = ? ORDER BY date", [ticker]).fetchall())


def _split(day, ratio):
    return pd.DataFrame([{"ticker": "NVDA", "date": day, "ratio": ratio}])


def test_a_split_the_source_revises_or_withdraws_is_revised_or_reversed(con):
    """The stored basis is the stored split's ratio: a revised ratio restates history by new/old, a withdrawn
    split by 1/old, so a wrong split never corrupts history for good."""
    old = {D(2024, 6, 3): 1200.0, D(2024, 6, 4): 1210.0}
    store.store_prices(con, PriceBatch(bars("NVDA", old)), "yfinance", BEFORE_SPLIT)
    con.execute(COUNT + "('NVDA', '2024-04-28', 2.4598e9, 'yfinance', ?)", [BEFORE_SPLIT])
    clean = (dump(con, "prices_daily"), dump(con, "shares_outstanding"))
    # The re-fetched span, which contains the split date, as the source sends it on the basis it claims: the bar
    # before the split restated by 10 (or 4, or not at all), the bar after it as traded.
    window = {D(2024, 6, 7): 121.0, D(2024, 6, 10): 122.0}
    window4 = {D(2024, 6, 7): 302.5, D(2024, 6, 10): 122.0}
    unsplit = {D(2024, 6, 7): 1210.0, D(2024, 6, 10): 122.0}

    store.store_prices(con, PriceBatch(bars("NVDA", window), splits=_split(D(2024, 6, 10), 10.0)), "yfinance", NOW)
    assert _closes(con)[D(2024, 6, 3)] == pytest.approx(120.0)

    out = store.store_prices(
        con, PriceBatch(bars("NVDA", window4), splits=_split(D(2024, 6, 10), 4.0)), "yfinance", NOW
    )
    assert out["splits_applied"] == ["NVDA 2024-06-10 10:1 revised to 4:1"]
    assert _closes(con)[D(2024, 6, 3)] == pytest.approx(300.0)
    assert con.execute("SELECT shares FROM shares_outstanding").fetchone()[0] == pytest.approx(4 * 2.4598e9)
    assert con.execute("SELECT ratio FROM splits").fetchall() == [(4.0,)]

    out = store.store_prices(con, PriceBatch(bars("NVDA", unsplit)), "yfinance", NOW)  # the split is gone
    assert out["splits_applied"] == ["NVDA 2024-06-10 4:1 withdrawn (history restored)"]
    assert dump(con, "splits") == []
    stored_before = {d: c for d, c in _closes(con).items() if d in old}
    assert stored_before == pytest.approx(old)
    shares = con.execute("SELECT shares FROM shares_outstanding").fetchone()[0]
    assert shares == pytest.approx(clean[1][0][2])

    # and withdrawn, then reported again: applied exactly once more
    store.store_prices(con, PriceBatch(bars("NVDA", window), splits=_split(D(2024, 6, 10), 10.0)), "yfinance", NOW)
    store.store_prices(con, PriceBatch(bars("NVDA", window), splits=_split(D(2024, 6, 10), 10.0)), "yfinance", NOW)
    assert _closes(con)[D(2024, 6, 3)] == pytest.approx(120.0)


def test_a_split_reported_and_withdrawn_that_the_source_never_restated_changes_no_stored_bar(con):
    """A split reported one night over a history the source never restated (the bars before it equal the stored
    ones), withdrawn the next: undoing it must not multiply every older row by its ratio."""
    history = {d: 100.0 for d in (D(2024, 6, 3), D(2024, 6, 4), D(2024, 6, 5), D(2024, 6, 6))}
    store.store_prices(con, PriceBatch(bars("NVDA", history)), "replay", NOW)
    window = {D(2024, 6, 5): 100.0, D(2024, 6, 6): 100.0, D(2024, 6, 7): 100.0}
    later = NOW + dt.timedelta(days=1)
    store.store_prices(con, PriceBatch(bars("NVDA", window), splits=_split(D(2024, 6, 6), 4.0)), "replay", later)
    out = store.store_prices(con, PriceBatch(bars("NVDA", window)), "replay", later + dt.timedelta(days=1))
    assert out["splits_applied"] == [
        "NVDA 2024-06-06 4:1 withdrawn (stored history was never on its basis: nothing restated)"
    ]
    assert set(_closes(con).values()) == {100.0} and dump(con, "splits") == []


def test_a_split_outside_the_span_the_source_sent_is_left_alone(con):
    store.store_prices(con, PriceBatch(bars("NVDA", {D(2024, 6, 3): 1200.0})), "yfinance", BEFORE_SPLIT)
    store.store_prices(
        con, PriceBatch(bars("NVDA", {D(2024, 6, 10): 120.0}), splits=_split(D(2024, 6, 10), 10.0)), "yfinance", NOW
    )
    out = store.store_prices(con, PriceBatch(bars("NVDA", {D(2024, 6, 20): 125.0})), "yfinance", NOW)
    assert out["splits_applied"] == [] and dump(con, "splits")[0][2] == 10.0


def test_a_snapshot_split_ratio_out_of_range_is_refused_with_file_and_line(tmp_path):
    snap = basic_snapshot(tmp_path / "snap")
    (snap / "splits.csv").write_text("ticker,date,ratio\nNVDA,2024-06-10,10\nAMD,2024-07-01,1e-300\n")
    with pytest.raises(SnapshotError, match=r"splits.csv line 3: split ratio 1e-300 is outside 1:1000 .. 1000:1"):
        ReplaySource(snap).fetch_prices(["NVDA", "AMD"], D(2024, 6, 3), D(2024, 8, 30))


def test_rows_fetched_after_a_split_took_effect_are_not_split_again(con):
    """A database started after the split (counts fetched on today's basis), then backfilled over the split date;
    and a split night where the share counts were stored before the prices step recorded the split: the
    counts are already on the new basis and must not be multiplied again."""
    con.execute(COUNT + "('NVDA', '2024-05-17', 24.6e9, 'yfinance', ?)", [NOW])
    backfill = bars("NVDA", {D(2024, 6, 6): 121.0, D(2024, 6, 7): 120.9, D(2024, 6, 10): 121.8})
    out = store.store_prices(con, PriceBatch(backfill, splits=_split(D(2024, 6, 10), 10.0)), "yfinance", NOW)
    assert out["splits_applied"] == ["NVDA 2024-06-10 10:1"]
    assert con.execute("SELECT shares FROM shares_outstanding").fetchone()[0] == 24.6e9
    assert _closes(con) == {D(2024, 6, 6): 121.0, D(2024, 6, 7): 120.9, D(2024, 6, 10): 121.8}


def test_a_split_date_the_source_moves_by_a_session_is_moved_not_applied_again(con):
    """Yahoo sometimes reports a split a session later (or earlier) than it first did: the same split, moved. The
    history before it is on the new basis already; nothing may be restated again (NVDA 2024-01-02 16.2 -> 1.62)."""
    early = {D(2024, 1, 2): 481.7, D(2024, 6, 3): 1150.0, D(2024, 6, 4): 1160.0}
    store.store_prices(con, PriceBatch(bars("NVDA", early)), "yfinance", BEFORE_SPLIT)
    con.execute(COUNT + "('NVDA', '2024-04-28', 2.4598e9, 'yfinance', ?)", [BEFORE_SPLIT])
    window = {D(2024, 6, 6): 121.0, D(2024, 6, 7): 120.9, D(2024, 6, 10): 121.8, D(2024, 6, 11): 122.0}
    store.store_prices(con, PriceBatch(bars("NVDA", window), splits=_split(D(2024, 6, 10), 10.0)), "yfinance", NOW)
    settled = (_closes(con), dump(con, "shares_outstanding"))
    assert settled[0][D(2024, 1, 2)] == pytest.approx(48.17)

    prior = D(2024, 6, 10)
    for moved_to in (D(2024, 6, 11), D(2024, 6, 7), D(2024, 6, 10)):  # a session later, earlier, and back
        later = dt.datetime(2024, 9, 2 + moved_to.day % 5, 22, 0)
        out = store.store_prices(
            con, PriceBatch(bars("NVDA", window), splits=_split(moved_to, 10.0)), "yfinance", later
        )
        closes = _closes(con)
        assert closes[D(2024, 1, 2)] == pytest.approx(48.17), (moved_to, out["splits_applied"])
        assert {d: closes[d] for d in window} == pytest.approx(window)
        assert con.execute("SELECT shares FROM shares_outstanding").fetchone()[0] == pytest.approx(24.598e9)
        assert con.execute("SELECT date, ratio FROM splits").fetchall() == [(moved_to, 10.0)]
        assert out["splits_applied"] == [f"NVDA {prior} 10:1 moved to {moved_to}"]
        prior = moved_to


def test_bars_yahoo_sent_before_restating_a_split_are_found_in_the_overlap_and_restated_once(con):
    """Yahoo reported NVDA's 10:1 split on the evening of 2024-06-10 but still served the old closes before it (its
    restatement lagged): fetched after the split took effect, yet on the old basis. The next night's window,
    restated, overlaps them at a steady 10x: that load's bars are restated, once."""
    evening = dt.datetime(2024, 6, 10, 23, 0)
    lagging = {
        D(2024, 5, 31): 1096.3,
        D(2024, 6, 3): 1150.0,
        D(2024, 6, 4): 1164.4,
        D(2024, 6, 5): 1224.4,
        D(2024, 6, 6): 1209.9,
        D(2024, 6, 7): 1208.9,
        D(2024, 6, 10): 121.79,
    }
    out = store.store_prices(
        con, PriceBatch(bars("NVDA", lagging), splits=_split(D(2024, 6, 10), 10.0)), "yfinance", evening
    )
    assert out["splits_applied"] == ["NVDA 2024-06-10 10:1"] and _closes(con)[D(2024, 5, 31)] == 1096.3  # as sent
    window = {
        D(2024, 6, 4): 116.44,
        D(2024, 6, 5): 122.44,
        D(2024, 6, 6): 120.99,
        D(2024, 6, 7): 120.89,
        D(2024, 6, 10): 121.79,
        D(2024, 6, 11): 120.91,
    }
    out = store.store_prices(
        con,
        PriceBatch(bars("NVDA", window), splits=_split(D(2024, 6, 10), 10.0)),
        "yfinance",
        evening + dt.timedelta(days=1),
    )
    assert out["splits_applied"] == [
        "NVDA: bars fetched 2024-06-10 23:00 before 2024-06-10 were still on the basis "
        "before its 10:1 split (4 overlapping bars said so): restated"
    ]
    closes = _closes(con)
    assert closes[D(2024, 5, 31)] == pytest.approx(109.63) and closes[D(2024, 6, 3)] == pytest.approx(115.0)
    assert {d: closes[d] for d in window} == pytest.approx(window)
    again = store.store_prices(
        con,
        PriceBatch(bars("NVDA", window), splits=_split(D(2024, 6, 10), 10.0)),
        "yfinance",
        evening + dt.timedelta(days=2),
    )
    assert again["splits_applied"] == [] and _closes(con) == closes
