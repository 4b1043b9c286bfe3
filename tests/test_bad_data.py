"""Bad facts from a source never reach the fact tables, and nothing a later run reads is one of them."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from tests.support.cli import cli
from tests.support.synthetic import basic_snapshot, write_config, write_prices

D = dt.date


def _amd_drop(snap):
    """AMD falls 15% on 2024-08-26 and stays there: stock_drop_5d holds 08-26 .. 08-30."""
    frame = pd.read_csv(snap / "AMD.csv")
    frame.loc[frame["date"] >= "2024-08-26", ["open", "high", "low", "close"]] = 85.0
    frame.to_csv(snap / "AMD.csv", index=False)


def _set_bar(snap, symbol, day, **values):
    path = snap / f"{symbol.lstrip('^')}.csv"
    frame = pd.read_csv(path)
    for col, value in values.items():
        frame.loc[frame["date"] == day, col] = value
    write_prices(snap, symbol, frame)


@pytest.mark.slow
def test_a_refused_bar_is_never_read_by_a_later_run(tmp_path):
    snap = basic_snapshot(tmp_path / "snap")
    _amd_drop(snap)
    db = tmp_path / "data" / "mm.duckdb"
    env = {"MARKET_MONITOR_DB": str(db), "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml"))}
    base = ["run", "--source", "replay", "--replay-dir", str(snap)]
    assert cli(*base, "--end", "2024-08-28", env=env).returncode == 0

    # The source now sends a close outside its day's range for a stored session, and a close of 1e300 tonight.
    _set_bar(snap, "AMD", "2024-08-27", close=315.05)
    _set_bar(snap, "NVDA", "2024-08-29", open=1e300, high=1e300, low=1e300, close=1e300)
    run = cli(*base, "--end", "2024-08-29", env=env)
    assert run.returncode == 0, run.stderr
    assert "ERROR daily_prices.prices_valid: 2 bar(s) refused" in run.stdout
    assert "AMD 2024-08-27: close 315.05 outside the day's low-high 85.0-85.0" in run.stdout
    assert "NVDA 2024-08-29: a price above" in run.stdout
    assert "ERROR daily_prices.bars_present" in run.stdout  # NVDA tonight is missing, not 1e300

    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT close FROM prices_daily WHERE ticker = 'AMD' AND date = '2024-08-27'").fetchone() == (
        85.0,
    )
    assert con.execute("SELECT count(*) FROM prices_daily WHERE close > 1e6").fetchone()[0] == 0
    moves = con.execute(
        "SELECT min(return_1d), max(return_1d) FROM metrics_daily WHERE ticker = 'AMD' AND date >= '2024-08-27'"
    ).fetchone()
    assert moves == (0.0, 0.0)
    drops = [
        r[0]
        for r in con.execute(
            "SELECT as_of FROM alerts WHERE rule = 'stock_drop_5d' AND subject = 'AMD' ORDER BY as_of"
        ).fetchall()
    ]
    assert drops == [D(2024, 8, 26), D(2024, 8, 27), D(2024, 8, 28), D(2024, 8, 29)]
    assert con.execute("SELECT count(*) FROM alerts WHERE message LIKE '%inf%'").fetchone()[0] == 0
    gap = con.execute("SELECT message FROM alerts WHERE rule = 'data_incomplete' AND as_of = '2024-08-29'").fetchone()
    assert gap and "NVDA" in gap[0]
    refused = con.execute("SELECT ticker, date FROM rejected_facts ORDER BY date").fetchall()
    assert refused == [("AMD", D(2024, 8, 27)), ("NVDA", D(2024, 8, 29))]
    con.close()


@pytest.mark.slow
def test_a_backfill_never_shows_green_over_tonight_s_gap(tmp_path):
    """Tonight (2024-08-30) NVDA has no bar; a later backfill of June must not make the checks read 'passed'."""
    snap = basic_snapshot(tmp_path / "snap")
    frame = pd.read_csv(snap / "NVDA.csv")
    write_prices(snap, "NVDA", frame[frame["date"] != "2024-08-30"])
    env = {
        "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb"),
        "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml")),
    }
    base = ["run", "--source", "replay", "--replay-dir", str(snap)]
    tonight = cli(*base, "--end", "2024-08-30", env=env)
    assert "ERROR daily_prices.bars_present: 2024-08-30 .. 2024-08-30: missing bars: NVDA" in tonight.stdout
    backfill = cli(*base, "--start", "2024-07-01", "--end", "2024-07-05", env=env)
    assert backfill.returncode == 0, backfill.stderr
    assert "ERROR daily_prices.bars_present: newest session 2024-08-30: missing bars: NVDA" in backfill.stdout
    assert "ERROR alerts.data_complete: Incomplete data for 2024-08-30: no bar for NVDA" in backfill.stdout


@pytest.mark.slow
@pytest.mark.parametrize("tiny", [0.0001, 1e-300])
def test_an_absurdly_low_bar_is_refused_not_a_trillion_dollar_loss(tmp_path, tiny):
    """A bar of 0.0001 (or 1e-300) for a $100 name would be a -$100B loss on 1B shares and fire single-name
    alerts: the door refuses it (named in prices_valid), tonight is reported missing instead."""
    snap = basic_snapshot(tmp_path / "snap")
    db = tmp_path / "data" / "mm.duckdb"
    env = {"MARKET_MONITOR_DB": str(db), "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml"))}
    base = ["run", "--source", "replay", "--replay-dir", str(snap)]
    assert cli(*base, "--end", "2024-08-28", env=env).returncode == 0
    _set_bar(snap, "NVDA", "2024-08-29", open=tiny, high=tiny, low=tiny, close=tiny)
    run = cli(*base, "--end", "2024-08-29", env=env)
    assert run.returncode == 0, run.stderr
    assert "ERROR daily_prices.prices_valid: 1 bar(s) refused" in run.stdout
    assert "NVDA 2024-08-29:" in run.stdout and (
        "beneath the name's usual 100" in run.stdout or "below 1e-06" in run.stdout
    )
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT min(close) FROM prices_daily").fetchone() == (100.0,)
        assert con.execute("SELECT count(*) FROM alerts WHERE subject = 'NVDA'").fetchone() == (0,)
        assert con.execute("SELECT ticker, date FROM rejected_facts").fetchall() == [("NVDA", D(2024, 8, 29))]
    finally:
        con.close()


@pytest.mark.slow
def test_a_split_reported_one_night_and_withdrawn_the_next_restates_nothing(tmp_path):
    """Replay: splits.csv names an NVDA 4:1 split one night (its prices were never restated), not the next. The
    history must come out as it went in: no x4 rows, no false findings."""
    snap = basic_snapshot(tmp_path / "snap")
    db = tmp_path / "data" / "mm.duckdb"
    env = {"MARKET_MONITOR_DB": str(db), "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml"))}
    base = ["run", "--source", "replay", "--replay-dir", str(snap)]
    assert cli(*base, "--end", "2024-08-27", env=env).returncode == 0
    (snap / "splits.csv").write_text("ticker,date,ratio\nNVDA,2024-08-26,4\n")
    assert cli(*base, "--end", "2024-08-28", env=env).returncode == 0
    (snap / "splits.csv").unlink()
    night = cli(*base, "--end", "2024-08-29", env=env)
    assert night.returncode == 0, night.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT DISTINCT close FROM prices_daily WHERE ticker = 'NVDA'").fetchall() == [(100.0,)]
        assert con.execute("SELECT count(*) FROM alerts WHERE subject IN ('NVDA', 'WATCHLIST')").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM splits").fetchone() == (0,)
    finally:
        con.close()
