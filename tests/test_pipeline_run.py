"""End to end: the CLI materializes the real Dagster asset graph into a DuckDB file on disk."""

import datetime as dt
import json

import dagster as dg
import duckdb
import pytest

from pipelines.config import Runtime
from pipelines.definitions import build_definitions
from tests.support.cli import cli
from tests.support.synthetic import basic_snapshot, write_config

pytestmark = pytest.mark.slow  # the graph, the CLI or the webserver: run by CI, not the fast loop


def test_definitions_load_with_every_asset(tmp_path):
    defs = build_definitions(Runtime(tmp_path / "mm.duckdb", "replay", tmp_path))
    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"daily_prices", "shares_outstanding", "earnings"} <= keys
    partitions = defs.resolve_assets_def("daily_prices").partitions_def
    keys = partitions.get_partition_keys()
    assert "2025-11-07" in keys and "2025-01-09" not in keys and "2024-12-25" not in keys
    assert "2024-12-28" not in keys  # a Saturday


def test_cli_run_over_a_small_snapshot_and_again(tmp_path):
    snap = basic_snapshot(tmp_path / "snap")
    db = tmp_path / "out" / "mm.duckdb"
    cfg = write_config(tmp_path / "monitor.toml")
    env = {"MARKET_MONITOR_CONFIG": str(cfg), "MARKET_MONITOR_DB": str(db)}
    first = cli(
        "run", "--source", "replay", "--replay-dir", str(snap), "--start", "2024-08-26", "--end", "2024-08-30", env=env
    )
    assert first.returncode == 0, first.stderr
    assert "5 session(s) 2024-08-26 .. 2024-08-30" in first.stdout
    assert "daily_prices: materialized" in first.stdout and "checks:" in first.stdout
    con = duckdb.connect(str(db), read_only=True)
    tables = {
        t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
        for t in ("prices_daily", "shares_outstanding", "earnings")
    }
    con.close()
    assert len(tables["prices_daily"]) == 7 * 63  # 5 sessions asked, whole snapshot fetched as warm-up
    again = cli(
        "run", "--source", "replay", "--replay-dir", str(snap), "--start", "2024-08-26", "--end", "2024-08-30", env=env
    )
    assert again.returncode == 0, again.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables} == tables


def test_a_night_six_of_seven_names_lack_says_which_in_the_metadata_and_the_cli(tmp_path):
    """The replay folder's names stop a session short of ^IXIC: daily_prices listed `symbols_missing: []` (the names
    had bars earlier in the re-read window) while 6 of 7 had none tonight. It names them, and so does the CLI."""
    snap = basic_snapshot(tmp_path / "snap")
    for path in snap.glob("*.csv"):
        if path.name != "IXIC.csv" and path.name not in ("shares.csv", "eps.csv"):
            lines = path.read_text().splitlines(True)
            path.write_text("".join(lines[:-1]))
    env = {
        "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml")),
        "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb"),
    }
    night = cli("run", "--source", "replay", "--replay-dir", str(snap), "--end", "2024-08-30", env=env)
    assert night.returncode == 0, night.stderr
    line = next(x for x in night.stdout.splitlines() if x.strip().startswith("daily_prices: materialized"))
    assert line.endswith("missing: AMD, CRWV, META, NVDA, ORCL, PLTR"), line
    assert "ERROR daily_prices.bars_present" in night.stdout


def test_cli_run_fails_clearly_and_writes_nothing_on_a_bad_source(tmp_path):
    snap = basic_snapshot(tmp_path / "snap")
    (snap / "AMD.csv").write_text("date,open,high,low,close,adj_close,volume\n2024-08-26,1,1,1,oops,,5\n")
    db = tmp_path / "out" / "mm.duckdb"
    env = {"MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml")), "MARKET_MONITOR_DB": str(db)}
    result = cli("run", "--source", "replay", "--replay-dir", str(snap), "--end", "2024-08-30", env=env)
    assert result.returncode == 2  # bad input
    assert "run failed: daily_prices" in result.stderr and "AMD.csv line 2: close 'oops'" in result.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM prices_daily").fetchone()[0] == 0


def test_cli_rejects_bad_config_before_writing(tmp_path):
    cfg = tmp_path / "monitor.toml"
    cfg.write_text('[watchlist]\ntickers = ["NVDA", "NVDA"]\n')
    db = tmp_path / "out" / "mm.duckdb"
    result = cli(
        "run",
        "--source",
        "replay",
        "--replay-dir",
        str(tmp_path),
        "--end",
        "2024-08-30",
        env={"MARKET_MONITOR_CONFIG": str(cfg), "MARKET_MONITOR_DB": str(db)},
    )
    assert result.returncode == 2
    assert "watchlist.tickers[1]: duplicate ticker 'NVDA'" in result.stderr
    assert not db.exists()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("[fundamentals]\neps_report_lag_days = 1000000000000", "fundamentals.eps_report_lag_days: must be at most"),
        ("[history]\nrefetch_sessions = 1000000", "history.refetch_sessions: must be at most 2520"),
        ('[history]\nstart = "0001-01-01"', "history.start: 0001-01-01 is outside the NYSE calendar"),
    ],
)
def test_an_absurd_number_is_refused_naming_its_key_before_anything_is_written(tmp_path, setting, message):
    cfg = tmp_path / "monitor.toml"
    cfg.write_text(setting + "\n")
    db = tmp_path / "out" / "mm.duckdb"
    env = {"MARKET_MONITOR_CONFIG": str(cfg), "MARKET_MONITOR_DB": str(db)}
    result = cli("run", "--source", "replay", "--replay-dir", str(tmp_path), "--end", "2024-08-30", env=env)
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "retry" not in result.stderr.lower()
    assert not db.exists()


def test_replay_of_real_autumn_2025(tmp_path, shared_market):
    db = tmp_path / "mm.duckdb"
    result = cli(
        "run",
        "--source",
        "replay",
        "--replay-dir",
        str(shared_market),
        "--start",
        "2025-10-01",
        "--end",
        "2025-11-28",
        env={"MARKET_MONITOR_DB": str(db)},
    )
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(db), read_only=True)
    close = con.execute(
        "SELECT close FROM prices_daily WHERE ticker = 'NVDA' AND date = ?", [dt.date(2025, 11, 7)]
    ).fetchone()[0]
    assert close == 188.15
    counts = dict(
        con.execute(
            "SELECT ticker, count(*) FROM prices_daily WHERE date BETWEEN '2025-10-01' AND '2025-11-28' GROUP BY ticker"
        ).fetchall()
    )
    # every symbol of the shipped baskets once (META and ORCL are in both)
    assert counts == {t: 42 for t in ["NVDA", "PLTR", "ORCL", "META", "AMD", "CRWV", "MSFT", "GOOGL", "AMZN"]} | {
        "^IXIC": 42,
        "^GSPC": 42,
    }
    cap_change = con.execute(
        "SELECT cap_change_5d FROM metrics_daily WHERE ticker = 'NVDA' AND date = ?", [dt.date(2025, 11, 7)]
    ).fetchone()[0]
    assert cap_change == pytest.approx(-348.5e9, abs=1e9)
    fired = [
        r[0]
        for r in con.execute(
            "SELECT as_of FROM alerts WHERE rule = 'sector_selloff' "
            "AND as_of BETWEEN '2025-11-04' AND '2025-11-07' ORDER BY 1"
        ).fetchall()
    ]
    assert fired, "sector_selloff must fire in the week of 2025-11-03"
    tables = ("prices_daily", "metrics_daily", "watchlist_daily", "alerts")
    before = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    con.close()
    again = cli(
        "run",
        "--source",
        "replay",
        "--replay-dir",
        str(shared_market),
        "--start",
        "2025-10-01",
        "--end",
        "2025-11-28",
        env={"MARKET_MONITOR_DB": str(db)},
    )
    assert again.returncode == 0, again.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables} == before  # bit for bit
    con.close()
    report = cli(
        "backtest", "--start", "2025-10-01", "--end", "2025-11-28", "--json", env={"MARKET_MONITOR_DB": str(db)}
    )
    assert report.returncode == 0, report.stderr
    episodes = json.loads(report.stdout)["baskets"]["ai"]["rules"]["sector_selloff"]["list"]
    assert any(e["first"] <= "2025-11-07" and e["last"] >= "2025-11-04" for e in episodes)


@pytest.mark.parametrize("command", ["run", "snapshot"])
def test_help_names_the_environment(command):
    result = cli(command, "--help")
    assert result.returncode == 0 and "MARKET_MONITOR_DB" in result.stdout
