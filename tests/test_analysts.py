"""Analysts read a copy: they never block the pipeline, and the pipeline never changes what they are reading."""

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.storage import publish
from tests.support.cli import ROOT, cli
from tests.support.synthetic import basic_snapshot, write_config

pytestmark = pytest.mark.slow  # the graph, the CLI or the webserver: run by CI, not the fast loop

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
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(analytics)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
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
    env = {
        "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb"),
        "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml")),
    }
    missing = cli("sql", "SELECT 1", env=env)
    assert missing.returncode == 2 and "written at the end of `market-monitor run`" in missing.stderr
    assert cli("run", "--source", "replay", "--replay-dir", str(snap), "--end", "2024-08-30", env=env).returncode == 0
    table = cli("sql", "SELECT ticker, close FROM latest_session WHERE ticker = 'NVDA'", env=env)
    assert table.returncode == 0 and "NVDA" in table.stdout and "100.0" in table.stdout
    csv = cli(
        "sql",
        "SELECT ticker, weekly_return FROM weekly_drawdowns WHERE ticker = 'AMD' AND week_end = '2024-08-30'",
        "--csv",
        env=env,
    )
    assert csv.stdout.splitlines() == ["ticker,weekly_return", "AMD,0.0"]
    write = cli("sql", "DELETE FROM alerts", env=env)
    assert write.returncode == 2 and "read-only" in write.stderr
    assert "note:" not in table.stderr  # the copy is the run's own: nothing to say


def test_sql_says_how_old_the_copy_is_when_it_lags_the_live_file(tmp_path, capsys):
    """A run that wrote the live file but did not republish (it failed before analytics_copy, or is writing now):
    `sql` answered from yesterday's copy with no sign. It answers, and says on stderr how far behind the copy is."""
    from pipelines import cli as market_monitor
    from pipelines.storage.store import connect

    live, copy = tmp_path / "mm.duckdb", tmp_path / "mm.analytics.duckdb"
    con = connect(live)
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    publish.publish(live, copy)
    published = copy.stat().st_mtime
    os.utime(live, (published + 3 * 3600 + 120, published + 3 * 3600 + 120))  # written three hours later
    assert market_monitor.main(["sql", "SELECT x FROM t", "--db", str(live)]) == 0
    out, err = capsys.readouterr()
    assert "1" in out
    assert "note: the analysts' copy was published" in err and "3 h 2 min before the live database's last write" in err


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A small run whose live database and analysts' copy the door tests attack."""
    tmp = tmp_path_factory.mktemp("door")
    snap = basic_snapshot(tmp / "snap")
    env = {
        "MARKET_MONITOR_DB": str(tmp / "data" / "mm.duckdb"),
        "MARKET_MONITOR_CONFIG": str(write_config(tmp / "monitor.toml")),
    }
    assert cli("run", "--source", "replay", "--replay-dir", str(snap), "--end", "2024-08-30", env=env).returncode == 0
    return tmp, env


def _live_state(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        counts = tuple(
            con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("prices_daily", "outbox", "alerts", "metrics_daily")
        )
    finally:
        con.close()
    return counts, hashlib.sha256(db.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "statement",
    [
        "ATTACH '{live}' AS l (READ_WRITE); DELETE FROM l.prices_daily",
        "ATTACH '{live}' AS l; DROP TABLE l.outbox",
        "COPY (SELECT 'x') TO '{live}'",
        "COPY prices_daily TO '{dir}/leak.csv'",
        "EXPORT DATABASE '{dir}/export'",
        "SELECT * FROM read_csv('{dir}/monitor.toml')",
        "SET enable_external_access = true",
        "INSTALL httpfs",
        "DELETE FROM prices_daily",
    ],
)
def test_the_analysts_door_refuses_every_write_with_a_one_line_reason(published, statement):
    tmp, env = published
    live = tmp / "data" / "mm.duckdb"
    before = _live_state(live)
    files_before = sorted(p.name for p in tmp.rglob("*"))
    result = cli("sql", statement.format(live=live, dir=tmp), env=env)
    assert result.returncode == 2, result.stdout
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("market-monitor: refused:"), line
    assert _live_state(live) == before
    assert sorted(p.name for p in tmp.rglob("*")) == files_before  # nothing written anywhere


def test_the_analysts_door_still_answers_queries_and_backtests(published):
    tmp, env = published
    ok = cli("sql", "SELECT count(*) AS n FROM prices_daily", "--csv", env=env)
    assert ok.returncode == 0 and ok.stdout.splitlines()[1] == str(7 * 63)
    bad = cli("sql", "SELECT nope FROM prices_daily", env=env)
    assert bad.returncode == 2 and bad.stderr.startswith("market-monitor: query failed: Binder Error")
    assert len(bad.stderr.strip().splitlines()) == 1
    report = cli("backtest", "--start", "2024-08-26", "--end", "2024-08-30", env=env)
    assert report.returncode == 0, report.stderr
    types = cli("sql", "SELECT DISTINCT typeof(week_start), typeof(week_end) FROM weekly_drawdowns", "--csv", env=env)
    assert types.stdout.splitlines()[1] == "DATE,DATE"


def test_backtest_runs_while_a_writer_holds_the_live_database(published):
    """A running pipeline holds the live file's lock; the backtest reads the analysts' copy instead."""
    tmp, env = published
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb\ncon = duckdb.connect(sys.argv[1])\nprint('locked', flush=True)\nsys.stdin.readline()",
            str(tmp / "data" / "mm.duckdb"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "locked"
        report = cli("backtest", "--start", "2024-08-26", "--end", "2024-08-30", env=env)
        assert report.returncode == 0, report.stderr
    finally:
        writer.stdin.close()
        writer.wait(timeout=30)


CRASHED_ANALYST = """
import os, sys, duckdb
con = duckdb.connect(sys.argv[1])   # read-write, against the docs' advice
con.execute("CREATE TABLE scratch AS SELECT 42 AS x")
print("written", flush=True)
os.kill(os.getpid(), 9)             # crash before any checkpoint: the .wal stays beside the copy
"""

FULL_DISK_PUBLISH = """
import resource, signal, sys
from pipelines.storage.publish import publish
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)          # a write past the limit fails (EFBIG) like a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
publish(sys.argv[1], sys.argv[2])
"""


def test_a_crashed_read_write_analyst_never_makes_the_copy_unreadable(published):
    tmp, env = published
    analytics = tmp / "data" / "mm.analytics.duckdb"
    crash = subprocess.run([sys.executable, "-c", CRASHED_ANALYST, str(analytics)], capture_output=True, text=True)
    assert crash.stdout.strip() == "written" and crash.returncode == -9
    assert analytics.with_name(analytics.name + ".wal").exists()
    info = publish.publish(tmp / "data" / "mm.duckdb", analytics)
    assert not analytics.with_name(analytics.name + ".wal").exists()
    con = duckdb.connect(str(analytics), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    con.close()
    assert "prices_daily" in tables and "scratch" not in tables and info["tables"] == len(tables)


def test_a_publish_that_fails_for_lack_of_space_cleans_up_and_keeps_the_old_copy(published):
    tmp, env = published
    live, analytics = tmp / "data" / "mm.duckdb", tmp / "data" / "mm.analytics.duckdb"
    publish.publish(live, analytics)
    before = analytics.read_bytes()
    failed = subprocess.run(
        [sys.executable, "-c", FULL_DISK_PUBLISH, str(live), str(analytics)], cwd=ROOT, capture_output=True, text=True
    )
    assert failed.returncode != 0
    assert sorted(p.name for p in analytics.parent.iterdir() if p.name.startswith(".")) == []
    assert analytics.read_bytes() == before
    dead = analytics.with_name(f".{analytics.name}.999999.tmp")  # left by a publish killed outright
    dead.write_bytes(b"x" * 1000)
    assert publish.publish(live, analytics)["leftovers_removed"] == 1 and not dead.exists()

    # A killed publish whose process id now belongs to a live process (this one's parent), its spill folder, and
    # the spill folder a crashed analyst session left beside the copy: all untouched for over an hour.
    reused = analytics.with_name(f".{analytics.name}.{os.getppid()}.tmp")
    reused.write_bytes(b"x" * 1000)
    spill = analytics.with_name(f".{analytics.name}.999998.tmp.tmp")
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"x" * 1000)
    analysts_spill = analytics.with_name(analytics.name + ".tmp")
    analysts_spill.mkdir()
    (analysts_spill / "duckdb_temp_block-1.block").write_bytes(b"x")
    old = time.time() - 2 * publish.STALE_SECONDS
    for path in (
        reused,
        spill,
        spill / "duckdb_temp_storage-0.tmp",
        analysts_spill,
        analysts_spill / "duckdb_temp_block-1.block",
    ):
        os.utime(path, (old, old))
    fresh = analytics.with_name(f".{analytics.name}.{os.getppid()}.tmp.wal")  # a live publish's, just written
    fresh.write_bytes(b"x")
    assert publish.publish(live, analytics)["leftovers_removed"] == 3
    assert not reused.exists() and not spill.exists() and not analysts_spill.exists() and fresh.exists()
    fresh.unlink()


CRASHED_WRITER = """
import os, sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE late AS SELECT 7 AS x")  # in the .wal only: the process dies before a checkpoint
print("written", flush=True)
os.kill(os.getpid(), 9)
"""


def test_a_live_file_whose_last_changes_are_still_in_its_wal_is_copied_with_them(tmp_path):
    live, analytics = tmp_path / "mm.duckdb", tmp_path / "mm.analytics.duckdb"
    con = duckdb.connect(str(live))
    con.execute("CREATE TABLE early AS SELECT 1 AS x")
    con.close()
    plain = publish.publish(live, analytics)  # checkpointed: the file is copied byte for byte
    assert plain["tables"] == 1 and analytics.read_bytes() == live.read_bytes()
    crash = subprocess.run([sys.executable, "-c", CRASHED_WRITER, str(live)], capture_output=True, text=True)
    assert crash.stdout.strip() == "written" and live.with_name(live.name + ".wal").exists()
    info = publish.publish(live, analytics)
    con = duckdb.connect(str(analytics), read_only=True)
    assert con.execute("SELECT x FROM late").fetchall() == [(7,)] and info["tables"] == 2
    con.close()
