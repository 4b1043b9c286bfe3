"""Analysts read a copy: they never block the pipeline, and the pipeline never changes what they are reading."""

import subprocess
import sys

import duckdb

from tests.synthetic import basic_snapshot, write_config
from tests.test_pipeline_run import cli

ANALYST = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
def look():
    n, last = con.execute("SELECT count(*), max(date) FROM prices_daily").fetchone()
    w = con.execute("SELECT count(*) FROM metrics_daily WHERE date = (SELECT max(date) FROM prices_daily)").fetchone()
    print(n, last, w[0], flush=True)
look()
sys.stdin.readline()   # hold the connection open until the pipeline has run
look()
"""


def test_an_open_analyst_connection_neither_blocks_nor_sees_a_half_written_run(tmp_path):
    snap = basic_snapshot(tmp_path / "snap")
    db = tmp_path / "data" / "mm.duckdb"
    env = {"MARKET_MONITOR_DB": str(db), "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml"))}
    base = ["run", "--source", "replay", "--replay-dir", str(snap)]
    assert cli(*base, "--end", "2024-08-23", env=env).returncode == 0
    analytics = db.with_name("mm.analytics.duckdb")
    analyst = subprocess.Popen([sys.executable, "-c", ANALYST, str(analytics)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        before = analyst.stdout.readline().split()
        assert before[1] == "2024-08-23"
        run = cli(*base, "--start", "2024-08-26", "--end", "2024-08-30", env=env)
        assert run.returncode == 0, run.stderr
        analyst.stdin.write("again\n")
        analyst.stdin.flush()
        after = analyst.stdout.readline().split()
    finally:
        analyst.stdin.close()
        analyst.wait(timeout=30)
    assert after == before  # its snapshot did not change under it
    fresh = duckdb.connect(str(analytics), read_only=True)
    assert str(fresh.execute("SELECT max(date) FROM prices_daily").fetchone()[0]) == "2024-08-30"
    views = {r[0] for r in fresh.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert {"latest_session", "weekly_drawdowns", "alert_history"} <= views


def test_sql_command_reads_the_copy_and_refuses_writes(tmp_path):
    snap = basic_snapshot(tmp_path / "snap")
    env = {"MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb"),
           "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml"))}
    missing = cli("sql", "SELECT 1", env=env)
    assert missing.returncode == 2 and "written at the end of `market-monitor run`" in missing.stderr
    assert cli("run", "--source", "replay", "--replay-dir", str(snap), "--end", "2024-08-30", env=env).returncode == 0
    table = cli("sql", "SELECT ticker, close FROM latest_session WHERE ticker = 'NVDA'", env=env)
    assert table.returncode == 0 and "NVDA" in table.stdout and "100.0" in table.stdout
    csv = cli("sql", "SELECT ticker, weekly_return FROM weekly_drawdowns WHERE ticker = 'AMD' "
                     "AND week_end = '2024-08-30'", "--csv", env=env)
    assert csv.stdout.splitlines() == ["ticker,weekly_return", "AMD,0.0"]
    write = cli("sql", "DELETE FROM alerts", env=env)
    assert write.returncode == 2 and "read-only" in write.stderr
