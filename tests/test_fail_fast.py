"""Errors no retry can fix fail at once with their cause; only a lock held by another writer is waited for."""

import contextlib
import os
import signal
import subprocess
import sys

import duckdb
import pytest

from pipelines.errors import DatabaseError, DatabaseLocked, PermanentError
from pipelines.storage import store
from tests.support.cli import ROOT, cli
from tests.support.synthetic import basic_snapshot, write_config

pytestmark = pytest.mark.slow  # the graph, the CLI or the webserver: run by CI, not the fast loop

RETRYING = "[history]\nsource_retries = 3\nretry_delay_seconds = 30\n"  # what production runs with


@contextlib.contextmanager
def holding_lock(db, seconds: float = 300):
    """Another process holds the database's write lock (for `seconds`, or until the block ends)."""
    store.connect(db).close()
    hold = "import sys, time, duckdb\ncon = duckdb.connect(sys.argv[1])\nprint('locked', flush=True)\n"
    hold += f"time.sleep({seconds})"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def _offline(tmp_path, cfg) -> dict:
    """Yahoo unreachable whatever this machine's network: every request goes to a port where nothing listens."""
    proxy = "http://127.0.0.1:9"
    return {
        "MARKET_MONITOR_CONFIG": str(cfg),
        "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb"),
        "https_proxy": proxy,
        "HTTPS_PROXY": proxy,
    }


def _run(tmp_path, db, snap=None):
    snap = snap or basic_snapshot(tmp_path / "snap")
    cfg = tmp_path / "monitor.toml"
    cfg.write_text(write_config(tmp_path / "base.toml").read_text().split("[history]")[0] + RETRYING)
    # "At once" is judged by what the run says (no retry announced), not by a clock: a busy machine is slow.
    return cli(
        "run",
        "--source",
        "replay",
        "--replay-dir",
        str(snap),
        "--end",
        "2024-08-30",
        env={"MARKET_MONITOR_DB": str(db), "MARKET_MONITOR_CONFIG": str(cfg)},
    )


def test_a_file_that_is_not_a_database_fails_at_once(tmp_path):
    db = tmp_path / "mm.duckdb"
    db.write_text("this is not a database\n")
    result = _run(tmp_path, db)
    assert result.returncode == 1
    assert "run failed: daily_prices:" in result.stderr and "not a valid DuckDB database file" in result.stderr
    assert "retry" not in result.stderr.lower()


def test_an_unusable_database_directory_fails_at_once(tmp_path):
    (tmp_path / "blocker").write_text("a file where the directory should be")
    result = _run(tmp_path, tmp_path / "blocker" / "mm.duckdb")
    assert result.returncode == 1 and "retry" not in result.stderr.lower()
    assert "cannot create its directory" in result.stderr


def test_a_malformed_snapshot_fails_at_once_as_bad_input(tmp_path):
    snap = basic_snapshot(tmp_path / "snap")
    (snap / "AMD.csv").write_text("date,open,high,low,close,adj_close,volume\n2024-08-26,1,1,1,oops,,5\n")
    result = _run(tmp_path, tmp_path / "mm.duckdb", snap)
    assert result.returncode == 2 and "retry" not in result.stderr.lower()
    assert "AMD.csv line 2: close 'oops' is not a number" in result.stderr


def test_a_writer_waits_for_another_writer_s_lock(tmp_path):
    db = tmp_path / "mm.duckdb"
    with holding_lock(db, seconds=2) as holder:
        con = store.open_writer(db, lock_wait_seconds=30)  # waits out the lock instead of failing
        con.close()
        holder.wait(timeout=30)


def test_a_lock_still_held_after_the_wait_is_one_line_and_transient(tmp_path):
    db = tmp_path / "mm.duckdb"
    with holding_lock(db), pytest.raises(DatabaseLocked) as err:
        store.open_writer(db, lock_wait_seconds=0.5)
    assert not isinstance(err.value, PermanentError)  # a retry may find it free
    assert str(err.value).startswith(f"{db}: still locked by another process after ") and "\n" not in str(err.value)


def test_open_writer_names_the_cause_and_does_not_wait(tmp_path):
    bad = tmp_path / "mm.duckdb"
    bad.write_text("junk")
    slept = []
    with pytest.raises(DatabaseError, match="not a valid DuckDB database file"):
        store.open_writer(bad, sleep=slept.append)
    assert slept == []


def test_the_live_source_without_network_fails_at_once_naming_the_cause(tmp_path):
    """No Yahoo (every request goes to a proxy port where nothing listens, whatever this machine's network):
    --retries 0 fails within seconds naming the cause; with retries each wait is announced with it."""
    cfg = tmp_path / "monitor.toml"
    cfg.write_text("[history]\nsource_retries = 3\nretry_delay_seconds = 1\n")
    env = _offline(tmp_path, cfg)
    fast = cli("run", "--end", "2025-11-07", "--retries", "0", env=env)
    assert fast.returncode == 1 and "retry" not in fast.stderr.lower()
    assert "run failed: daily_prices: Yahoo returned no prices for any of NVDA" in fast.stderr
    assert "connection refused (cannot reach Yahoo)" in fast.stderr.strip().splitlines()[-1]
    patient = cli("run", "--end", "2025-11-07", "--retries", "1", env=env)
    assert patient.returncode == 1
    assert "daily_prices: retry 1 of 1 in " in patient.stderr and "connection refused" in patient.stderr


def test_a_replay_session_beyond_the_snapshot_fails_naming_it(tmp_path):
    snap = basic_snapshot(tmp_path / "snap")
    env = {
        "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml")),
        "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb"),
    }
    result = cli(
        "run", "--source", "replay", "--replay-dir", str(snap), "--start", "2024-08-29", "--end", "2024-09-04", env=env
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith("has no bars at all for 2024-09-03, 2024-09-04")


def _started(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(proc: subprocess.Popen, text: str) -> None:
    for line in proc.stderr:
        if text in line:
            return
    raise AssertionError(f"the run ended before printing {text!r}")


def test_sigterm_stops_a_run_waiting_on_another_writer_s_lock_at_once(tmp_path):
    """A scheduler's SIGTERM (or `timeout`) stops the run while it waits out another writer's lock: exit 143,
    nothing written, the lock holder's database untouched."""
    snap = basic_snapshot(tmp_path / "snap")
    db = tmp_path / "mm.duckdb"
    with holding_lock(db):
        env = {"MARKET_MONITOR_DB": str(db), "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml"))}
        run = _started(env, "run", "--source", "replay", "--replay-dir", str(snap), "--end", "2024-08-30")
        _wait_for(run, ".. daily_prices")  # the step has started: it now waits for the lock (up to two minutes)
        run.send_signal(signal.SIGTERM)
        _out, err = run.communicate(timeout=60)  # the lock wait alone would outlast this
    assert run.returncode == 143
    assert "market-monitor: stopped by SIGTERM; nothing half-written" in err
    con = duckdb.connect(str(db), read_only=True)
    assert (
        con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'prices_daily'").fetchone()[0]
        == 0
    )
    con.close()


def test_sigint_stops_a_run_in_its_retry_backoff_at_once(tmp_path):
    """Ctrl-C while a failed source step waits to be retried (30 s here): the run stops at once with 130."""
    cfg = tmp_path / "monitor.toml"
    cfg.write_text("[history]\nsource_retries = 3\nretry_delay_seconds = 30\n")
    env = _offline(tmp_path, cfg)
    run = _started(env, "run", "--end", "2025-11-07")
    _wait_for(run, "daily_prices: retry 1 of 3 in ")
    run.send_signal(signal.SIGINT)
    _out, err = run.communicate(timeout=60)  # the three backoffs alone would outlast this
    assert run.returncode == 130 and "market-monitor: stopped by SIGINT" in err


def test_a_sqlite_file_given_as_the_database_is_named_and_nothing_is_downloaded(tmp_path):
    import sqlite3

    db = tmp_path / "mm.duckdb"
    sqlite3.connect(db).execute("CREATE TABLE t (a)").connection.commit()
    result = _run(tmp_path, db)
    assert result.returncode == 1
    assert f"{db}: a SQLite file, not a DuckDB database" in result.stderr
    assert "extension" not in result.stderr.lower() and "retry" not in result.stderr.lower()
