import datetime as dt

import pandas as pd
import pytest

from pipelines import store
from pipelines.sources.base import PriceBatch
from pipelines.sources.replay import ReplaySource
from tests.synthetic import basic_snapshot

D = dt.date
NOW = dt.datetime(2024, 9, 1, 22, 0)


@pytest.fixture
def con(tmp_path):
    c = store.connect(tmp_path / "db" / "mm.duckdb")
    store.prepare(c)
    yield c
    c.close()


def bars(ticker, closes: dict):
    return pd.DataFrame([{"ticker": ticker, "date": d, "open": c, "high": c, "low": c, "close": c, "adj_close": c,
                          "volume": 100} for d, c in closes.items()])


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
    broken = pd.concat([bars("NVDA", {D(2024, 6, 3): 50.0}), bars("AMD", {D(2024, 6, 4): None})])
    with pytest.raises(Exception, match="NOT NULL"):
        store.store_prices(con, PriceBatch(broken), "replay", NOW + dt.timedelta(days=1))
    assert dump(con, "prices_daily") == before


def test_bars_on_non_sessions_are_rejected(con):
    with pytest.raises(ValueError, match="non-sessions, e.g. NVDA 2024-07-04"):
        store.store_prices(con, PriceBatch(bars("NVDA", {D(2024, 7, 4): 1.0})), "replay", NOW)


def test_a_new_split_restates_stored_history_once(con):
    """Yahoo restates closes for every later split; history stored before the split must follow."""
    pre = {D(2024, 6, 5): 1200.0, D(2024, 6, 6): 1210.0, D(2024, 6, 7): 1208.9}
    store.store_prices(con, PriceBatch(bars("NVDA", pre)), "yfinance", NOW)
    con.execute("INSERT INTO shares_outstanding VALUES ('NVDA', '2024-04-28', 2.4598e9, 'yfinance', ?)", [NOW])
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
