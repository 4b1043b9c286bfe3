"""Errors no retry can fix fail at once with their cause; only a lock held by another writer is waited for."""

import subprocess
import sys
import time

import pytest

from pipelines import store
from pipelines.errors import DatabaseError
from tests.synthetic import basic_snapshot, write_config
from tests.test_pipeline_run import cli

RETRYING = "[history]\nsource_retries = 3\nretry_delay_seconds = 30\n"  # what production runs with


def _run(tmp_path, db, snap=None):
    snap = snap or basic_snapshot(tmp_path / "snap")
    cfg = tmp_path / "monitor.toml"
    cfg.write_text(write_config(tmp_path / "base.toml").read_text().split("[history]")[0] + RETRYING)
    started = time.monotonic()
    result = cli("run", "--source", "replay", "--replay-dir", str(snap), "--end", "2024-08-30",
                 env={"MARKET_MONITOR_DB": str(db), "MARKET_MONITOR_CONFIG": str(cfg)})
    return result, time.monotonic() - started


def test_a_file_that_is_not_a_database_fails_at_once(tmp_path):
    db = tmp_path / "mm.duckdb"
    db.write_text("this is not a database\n")
    result, seconds = _run(tmp_path, db)
    assert result.returncode == 1 and seconds < 60
    assert "run failed: daily_prices:" in result.stderr and "not a valid DuckDB database file" in result.stderr
    assert "retry" not in result.stderr.lower()


def test_an_unusable_database_directory_fails_at_once(tmp_path):
    (tmp_path / "blocker").write_text("a file where the directory should be")
    result, seconds = _run(tmp_path, tmp_path / "blocker" / "mm.duckdb")
    assert result.returncode == 1 and seconds < 60
    assert "cannot create its directory" in result.stderr


def test_a_malformed_snapshot_fails_at_once_as_bad_input(tmp_path):
    snap = basic_snapshot(tmp_path / "snap")
    (snap / "AMD.csv").write_text("date,open,high,low,close,adj_close,volume\n2024-08-26,1,1,1,oops,,5\n")
    result, seconds = _run(tmp_path, tmp_path / "mm.duckdb", snap)
    assert result.returncode == 2 and seconds < 60
    assert "AMD.csv line 2: close 'oops' is not a number" in result.stderr


def test_a_writer_waits_for_another_writer_s_lock(tmp_path):
    db = tmp_path / "mm.duckdb"
    store.connect(db).close()
    hold = "import sys, time, duckdb\ncon = duckdb.connect(sys.argv[1])\nprint('locked', flush=True)\ntime.sleep(2)"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(db)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    con = store.open_writer(db, lock_wait_seconds=30)  # waits out the lock instead of failing
    con.close()
    holder.wait(timeout=30)


def test_open_writer_names_the_cause_and_does_not_wait(tmp_path):
    bad = tmp_path / "mm.duckdb"
    bad.write_text("junk")
    slept = []
    with pytest.raises(DatabaseError, match="not a valid DuckDB database file"):
        store.open_writer(bad, sleep=slept.append)
    assert slept == []
