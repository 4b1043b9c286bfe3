"""`market-monitor run` (a real Dagster run) delivering to a local Slack Web API server."""

import os
import shutil
import signal
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from tests.support.cli import ROOT, cli
from tests.support.fake_slack import FakeSlack
from tests.support.synthetic import BENCHMARK, WATCHLIST, basic_snapshot, write_config, write_prices

pytestmark = pytest.mark.slow  # the graph, the CLI or the webserver: run by CI, not the fast loop

TOKEN = "xoxb-e2e-secret-token-4f9a"


def crash_snapshot(folder):
    basic_snapshot(folder, start="2024-06-03", end="2024-08-30")
    for name in WATCHLIST:
        frame = pd.read_csv(folder / f"{name}.csv")
        frame.loc[frame.index[-1], ["open", "high", "low", "close"]] = 90.0
        write_prices(folder, name, frame[["date", "open", "high", "low", "close"]])
    bench = pd.read_csv(folder / "IXIC.csv")
    bench.loc[bench.index[-1], ["open", "high", "low", "close"]] = 9_700.0
    write_prices(folder, BENCHMARK, bench[["date", "open", "high", "low", "close"]])
    return folder


def all_bytes_under(path) -> bytes:
    out = b""
    for root, _dirs, files in os.walk(path):
        for name in files:
            with open(os.path.join(root, name), "rb") as fh:
                out += fh.read()
    return out


def test_run_sends_one_grouped_message_and_never_the_token(tmp_path):
    snap = crash_snapshot(tmp_path / "snap")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(os.path.join(ROOT, "dagster_home", "dagster.yaml"), home / "dagster.yaml")  # the instance ops run
    db = tmp_path / "data" / "mm.duckdb"
    with FakeSlack() as slack:
        env = {
            **slack.env(token=TOKEN),
            "MARKET_MONITOR_DB": str(db),
            "DAGSTER_HOME": str(home),
            "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml")),
            "DAGSTER_UI_URL": "http://dagster.internal:3000",
        }
        args = ["run", "--source", "replay", "--replay-dir", str(snap), "--start", "2024-08-26", "--end", "2024-08-30"]
        first = cli(*args, env=env)
        assert first.returncode == 0, first.stderr
        assert "slack_notifications: materialized, 1 message(s) delivered" in first.stdout
        [post] = slack.posts()
        assert post["text"].startswith("[CRITICAL] AI leaders: Sector sell-off — 2024-08-30")
        # grouped: one message, the names' and the benchmark's own alerts folded into the sell-off
        assert "folded in: Benchmark drop ^IXIC" in post["text"] and "5-session drop " in post["text"]
        assert "http://dagster.internal:3000/runs/" in post["text"]
        assert slack.requests[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
        again = cli(*args, env=env)
        assert again.returncode == 0, again.stderr
        assert len(slack.posts()) == 1
    for output in (first.stdout, first.stderr, again.stdout, again.stderr):
        assert TOKEN not in output
    assert TOKEN.encode() not in db.read_bytes()
    assert TOKEN.encode() not in all_bytes_under(home)  # run storage, event logs, compute logs
    assert b"notifications_delivered" in all_bytes_under(home)  # the runs were recorded there
    assert not list(home.rglob("*.db-wal"))  # and the CLI closed the event log behind it


def test_run_without_slack_settings_says_nothing_was_sent(tmp_path):
    snap = crash_snapshot(tmp_path / "snap")
    env = {
        "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb"),
        "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml")),
    }
    result = cli("run", "--source", "replay", "--replay-dir", str(snap), "--end", "2024-08-30", env=env)
    assert result.returncode == 0, result.stderr
    assert "nothing sent (no Slack settings): 1 message(s) recorded as dry run" in result.stdout


def _crash_env(tmp_path):
    snap = crash_snapshot(tmp_path / "snap")
    env = {
        "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb"),
        "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml")),
    }
    return ["run", "--source", "replay", "--replay-dir", str(snap), "--end", "2024-08-30"], env


def _outbox(tmp_path):
    con = duckdb.connect(str(tmp_path / "mm.duckdb"), read_only=True)
    try:
        return con.execute("SELECT status, attempts, last_error FROM outbox ORDER BY created_at").fetchall()
    finally:
        con.close()


def test_an_outage_fails_the_run_with_its_own_exit_code_and_the_next_run_delivers(tmp_path):
    args, env = _crash_env(tmp_path)
    with FakeSlack() as slack:
        slack.script = ["503"] * 4
        down = cli(*args, env={**env, **slack.env()})
        assert down.returncode == 3, down.stderr
        assert "alerts not delivered: outage: Slack answered HTTP 503 (server_error)" in down.stderr
        assert "stay queued in the outbox and are sent by the next run" in down.stderr
        assert slack.posts() == []
        # Publication does not wait for delivery: analysts query tonight's data (and the queued message).
        assert "analytics_copy: materialized" in down.stdout
        sql = cli(
            "sql",
            "SELECT (SELECT max(date) FROM metrics_daily)::VARCHAR AS d, "
            "(SELECT count(*) FROM outbox WHERE status = 'pending') AS n",
            "--csv",
            env=env,
        )
        assert sql.returncode == 0 and sql.stdout.splitlines()[1:] == ["2024-08-30,1"], sql.stdout
        up = cli(*args, env={**env, **slack.env()})
        assert up.returncode == 0 and "1 message(s) delivered" in up.stdout and len(slack.posts()) == 1


@pytest.mark.parametrize(
    "error, says",
    [
        ("invalid_auth", "Slack refused the token (check SLACK_BOT_TOKEN)"),
        ("channel_not_found", "no such channel (check SLACK_CHANNEL)"),
    ],
)
def test_a_permanent_slack_error_exits_3_at_once_naming_it_and_keeps_the_message(tmp_path, error, says):
    args, env = _crash_env(tmp_path)
    with FakeSlack() as slack:
        slack.script = [error]
        result = cli(*args, env={**env, **slack.env()})
        assert result.returncode == 3
        assert (
            result.stderr.strip().splitlines()[-1].startswith(f"market-monitor: alerts not delivered: {error}: {says}")
        )
        posts = [r for r in slack.requests if r["path"].endswith("chat.postMessage")]
        assert len(posts) == 1  # not retried like an outage
        assert _outbox(tmp_path) == [("pending", 1, f"{error}: {says}")]
        fixed = cli(*args, env={**env, **slack.env()})
        assert fixed.returncode == 0 and len(slack.posts()) == 1


def test_a_run_killed_while_slack_answers_never_sends_twice(tmp_path):
    """kill -9 between Slack accepting the message and the run recording it: the attempt was recorded before
    the post, so the next run looks the message up instead of posting it again."""
    args, env = _crash_env(tmp_path)
    with FakeSlack() as slack:
        slack.script = ["slow"]
        run = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", *args],
            env={**os.environ, **env, **slack.env()},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert slack.slow_started.wait(120), "the run never reached Slack"
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=30)
        finally:
            run.kill()
        assert len(slack.posts()) == 1
        assert _outbox(tmp_path) == [("pending", 1, None)]
        again = cli(*args, env={**env, **slack.env()})
        assert again.returncode == 0, again.stderr
        assert len(slack.posts()) == 1
        assert [s for s, _a, _e in _outbox(tmp_path)] == ["delivered"]


def test_november_2025_replay(tmp_path, shared_market):
    """What a November replay sends, night by night (printed for the record)."""
    env = {"MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb")}
    with FakeSlack() as slack:
        env |= slack.env()
        first = cli(
            "run",
            "--source",
            "replay",
            "--replay-dir",
            str(shared_market),
            "--start",
            "2025-10-01",
            "--end",
            "2025-11-07",
            env=env,
        )
        assert first.returncode == 0, first.stderr
        [opening] = slack.posts()
        assert opening["text"].startswith("[CRITICAL] AI leaders: Sector sell-off — 2025-11-07")
        assert "lost $548B (-7.0%)" in opening["text"] and "NVDA" in opening["text"]
        for night in ("2025-11-10", "2025-11-11"):
            result = cli("run", "--source", "replay", "--replay-dir", str(shared_market), "--end", night, env=env)
            assert result.returncode == 0, result.stderr
        texts = [p["text"] for p in slack.posts()]
        resolved = [p for p in slack.posts() if "Sector sell-off, AI leaders: no longer holds" in p["text"]]
        assert len(resolved) == 1 and resolved[0]["thread_ts"] == opening["ts"]
        print("\n\n".join(texts))
