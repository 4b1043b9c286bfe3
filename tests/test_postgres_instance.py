"""The production instance (deploy/dagster.yaml, storage on a real PostgreSQL) as ops run it: CLI runs recorded in
it and read back through the webserver, and the daemon's own schedule tick launching the nightly run through the
queued run coordinator, with Slack, the run-failure notice and freshness. Skips with one line without a server,
fails under CI (tests/support/postgres.py)."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipelines import calendar
from tests.support import postgres
from tests.support.cli import cli
from tests.support.fake_slack import FakeSlack
from tests.support.synthetic import BENCHMARK, WATCHLIST, basic_snapshot, write_config, write_fundamentals
from tests.support.ui import dagster_dev_on, graphql, start_group, stop_group

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
LOCATION = 'repositoryLocationName: "pipelines.definitions", repositoryName: "__repository__"'


@pytest.fixture
def pg_database():
    with postgres.fresh_database() as name:
        yield name


def runs(port: int) -> list[dict]:
    query = """{ runsOrError { ... on Runs { results { runId jobName status
      tags { key value } } } } }"""
    out = []
    for run in graphql(port, query)["runsOrError"]["results"]:
        out.append({**run, "tags": {t["key"]: t["value"] for t in run["tags"]}})
    return out


def partition_statuses(port: int, asset: str) -> dict[str, str]:
    query = f"""{{ assetNodes(assetKeys: [{{path: ["{asset}"]}}]) {{ assetPartitionStatuses {{
      ... on TimePartitionStatuses {{ ranges {{ startKey endKey status }} }} }} }} }}"""
    [node] = graphql(port, query)["assetNodes"]
    out = {}
    for r in node["assetPartitionStatuses"]["ranges"]:
        for day in calendar.sessions(r["startKey"], r["endKey"]):
            out[day.isoformat()] = r["status"]
    return out


def checks(port: int, asset: str) -> dict[str, dict]:
    query = f"""{{ assetNodes(assetKeys: [{{path: ["{asset}"]}}]) {{ assetChecksOrError {{ ... on AssetChecks {{
      checks {{ name executionForLatestMaterialization {{ runId status evaluation {{ severity description }} }} }}
      }} }} }} }}"""
    [node] = graphql(port, query)["assetNodes"]
    return {c["name"]: c["executionForLatestMaterialization"] for c in node["assetChecksOrError"]["checks"]}


def test_the_production_instance_records_a_range_a_night_and_a_failed_run_the_webserver_reads_back(
    pg_database, tmp_path
):
    home = postgres.production_home(tmp_path / "home")
    snap = basic_snapshot(tmp_path / "snap")
    env = {
        "DAGSTER_HOME": str(home),
        **postgres.instance_env(pg_database),
        "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb"),
        "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml")),
    }
    replay = ("run", "--source", "replay", "--replay-dir", str(snap))
    backfill = cli(*replay, "--start", "2024-08-19", "--end", "2024-08-23", env=env)
    assert backfill.returncode == 0, backfill.stderr[-2000:]
    night = cli(*replay, "--end", "2024-08-26", env=env)
    assert night.returncode == 0, night.stderr[-2000:]
    amd = snap / "AMD.csv"
    amd.write_text(amd.read_text().replace("2024-08-27,100.0,", "2024-08-27,oops,"))
    failed = cli(*replay, "--start", "2024-08-27", "--end", "2024-08-28", env=env)
    assert failed.returncode == 2 and "AMD.csv" in failed.stderr, failed.stderr[-2000:]

    # one kept connection per storage and process (pipelines/orchestration/postgres_storage.py): 73 connections for
    # these three runs; dagster-postgres' own per-statement connections made 825 even with batched writes (7 ms each)
    assert postgres.sessions_opened(pg_database) < 200
    web_env = {**os.environ, **env, "MARKET_MONITOR_SOURCE": "replay", "MARKET_MONITOR_REPLAY_DIR": str(snap)}
    with dagster_dev_on(web_env, args=("-w", "workspace.yaml"), program="dagster-webserver") as port:
        listed = {r["runId"]: r for r in runs(port)}
        mine = [listed[r] for r in listed if r in backfill.stdout + night.stdout + failed.stdout + failed.stderr]
        assert [(r["status"], r["tags"]["market_monitor/sessions"]) for r in mine[::-1]] == [
            ("SUCCESS", "2024-08-19 .. 2024-08-23"),
            ("SUCCESS", "2024-08-26 .. 2024-08-26"),
            ("FAILURE", "2024-08-27 .. 2024-08-28"),
        ]
        assert {r["jobName"] for r in mine} == {"nightly"}
        assert {r["tags"]["market_monitor/trigger"] for r in mine} == {"cli"}
        prices = partition_statuses(port, "daily_prices")
        days = ("2024-08-19", "2024-08-23", "2024-08-26", "2024-08-27", "2024-08-28")
        assert {d: prices.get(d) for d in days} == {
            "2024-08-19": "MATERIALIZED",
            "2024-08-23": "MATERIALIZED",
            "2024-08-26": "MATERIALIZED",
            "2024-08-27": "FAILED",
            "2024-08-28": "FAILED",
        }
        shown = checks(port, "daily_prices")
        assert shown["bars_present"]["status"] == "FAILED"  # the failed night's: not evaluated, and why
        assert shown["bars_present"]["evaluation"]["description"].startswith("not evaluated: step daily_prices")


def docs_vm_lines() -> list[str]:
    text = (ROOT / "docs" / "deploy.md").read_text()
    block = text.split("**Run it on one VM**")[1].split("```bash\n")[1].split("```")[0]
    return [line.split("  #")[0].strip() for line in block.strip().splitlines()]


def wait_for(what: str, probe, timeout: float = 240.0, diagnose=lambda: None):
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}; {diagnose()}"
        time.sleep(2)


def test_the_daemon_ticks_the_schedule_queues_the_run_posts_to_slack_and_reports_a_failed_run(pg_database, tmp_path):
    """docs/deploy.md's one-VM lines, as written, with a per-minute cron: the schedule's tick launches tonight's run
    through the queued run coordinator (or, on a day that is no NYSE session, records why not and the test launches
    the latest session's run from the UI's API instead); the digest reaches the local Slack server; freshness is
    evaluated after the run; a failing run gets the run-failure notice and its unreached checks say why."""
    _, home_line, config_line, daemon_line, web_line = docs_vm_lines()
    home = tmp_path / "prod_home"
    assert home_line == "export DAGSTER_HOME=$PWD/prod_home && mkdir -p $DAGSTER_HOME"
    home.mkdir()
    pg = postgres.instance_env(pg_database)
    subprocess.run(["bash", "-c", config_line], cwd=ROOT, env={**os.environ, "DAGSTER_HOME": str(home)}, check=True)
    written = yaml.safe_load((home / "dagster.yaml").read_text())
    assert written == yaml.safe_load(postgres.production_home(tmp_path / "same").joinpath("dagster.yaml").read_text())
    assert written["run_coordinator"]["class"] == "QueuedRunCoordinator"

    now = dt.datetime.now(calendar.NEW_YORK)
    today_is_session = calendar.is_session(now.date())
    last = now.date() if today_is_session else calendar.previous_session(now.date())
    start = calendar.sessions_back(last, 60)
    snap = basic_snapshot(tmp_path / "snap", start=str(start), end=str(last))
    write_fundamentals(
        snap,
        shares=[(t, str(start), 1_000_000_000) for t in WATCHLIST],
        eps=[
            (t, str(q), "", 1.0)
            for t in WATCHLIST
            for q in pd.date_range(start - dt.timedelta(days=400), last, freq="QE").date
        ],
    )
    for path in snap.glob("*.csv"):  # every name -10% and the benchmark -5% on the last session: a critical digest
        if path.name not in ("shares.csv", "eps.csv"):
            frame = pd.read_csv(path)
            frame.loc[frame.index[-1], ["open", "high", "low", "close"]] *= (
                0.95 if path.stem == BENCHMARK.lstrip("^") else 0.9
            )
            frame.to_csv(path, index=False)
    config = write_config(tmp_path / "monitor.toml", start=str(start), extra='\n[schedule]\ncron = "* * * * *"\n')

    with FakeSlack() as slack:
        env = {
            **os.environ,
            **pg,
            **slack.env(),
            "SLACK_OPS_CHANNEL": "#ops",
            "DAGSTER_HOME": str(home),
            "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb"),
            "MARKET_MONITOR_CONFIG": str(config),
            "MARKET_MONITOR_SOURCE": "replay",
            "MARKET_MONITOR_REPLAY_DIR": str(snap),
        }
        daemon_args = shlex.split(daemon_line.rstrip("&").strip())
        assert daemon_args[0] == ".venv/bin/dagster-daemon"
        web_args = shlex.split(web_line)
        assert web_args[:3] == [".venv/bin/dagster-webserver", "-w", "workspace.yaml"]
        daemon = start_group("dagster-daemon", daemon_args[1:], env)
        try:
            with dagster_dev_on(env, args=tuple(web_args[1:3]), program="dagster-webserver") as port:
                # the oldest tick: a per-minute cron ticks again every minute, each tick its own run (Dagster scopes a
                # schedule's run_key to its tick), so the test follows run ids, never "the latest run"
                tick = wait_for("the schedule's first tick", lambda: schedule_ticks(port))[-1]
                if today_is_session:
                    assert tick["status"] == "SUCCESS" and tick["runIds"], tick
                    first = tick["runIds"][0]
                else:
                    assert tick["status"] == "SKIPPED" and "is not an NYSE trading session" in tick["skipReason"]
                    first = launch(port, last)
                scheduled = wait_for("the first run", lambda: finished(port, first), diagnose=lambda: runs(port))
                assert scheduled["status"] == "SUCCESS", (scheduled, runs(port))
                assert scheduled["tags"]["dagster/partition"] == last.isoformat()
                if today_is_session:
                    assert scheduled["tags"]["market_monitor/trigger"] == "schedule"
                digest = wait_for("the digest at Slack", lambda: [p for p in slack.posts() if "sell-off" in p["text"]])
                assert digest[0]["channel"] == "#ai-selloff", digest[0]
                fresh = wait_for(
                    "session_fresh evaluated", lambda: evaluated(checks(port, "daily_prices")["session_fresh"])
                )
                assert fresh["status"] in ("SUCCEEDED", "FAILED") and fresh["evaluation"]["description"], fresh

                amd = snap / "AMD.csv"  # a bad file: the next run fails with its cause
                amd.write_text(amd.read_text().replace(f"{last},", f"{last},oops,", 1))
                failing = launch(port, last)
                failed = wait_for("the failed run", lambda: finished(port, failing), diagnose=lambda: runs(port))
                assert failed["status"] == "FAILURE" and failed["tags"]["market_monitor/trigger"] == "manual"
                notice = wait_for(
                    "the run-failure notice",
                    lambda: [p for p in slack.posts() if f"(run {failing[:8]})" in p["text"]],
                )
                assert notice[0]["channel"] == "#ops" and "market-monitor run failed" in notice[0]["text"]
                assert "AMD.csv" in notice[0]["text"]  # the step's cause, not only "Steps failed: [...]"
                unreached = wait_for(
                    "the failed run's checks explained",
                    lambda: [e for e in check_executions(port, "alerts", "data_complete") if e["runId"] == failing],
                    diagnose=lambda: sensor_ticks(port, "explain_unrun_checks"),
                )
                assert unreached[0]["status"] == "FAILED" and unreached[0]["evaluation"]["severity"] == "WARN"
                assert unreached[0]["evaluation"]["description"].startswith("not evaluated: step daily_prices failed")
        finally:
            stop_group(daemon)


def evaluated(execution: dict | None) -> dict | None:
    return execution if execution and execution["evaluation"] else None


def sensor_ticks(port: int, name: str) -> list[dict]:
    query = f"""{{ sensorOrError(sensorSelector: {{ {LOCATION}, sensorName: "{name}" }}) {{
      ... on Sensor {{ sensorState {{ status ticks(limit: 5) {{ status skipReason error {{ message }} }} }} }} }} }}"""
    return graphql(port, query)["sensorOrError"]


def schedule_ticks(port: int) -> list[dict]:
    query = f"""{{ scheduleOrError(scheduleSelector: {{ {LOCATION}, scheduleName: "nightly_schedule" }}) {{
      ... on Schedule {{ scheduleState {{ ticks(limit: 5) {{ status skipReason runIds }} }} }} }} }}"""
    ticks = graphql(port, query)["scheduleOrError"]["scheduleState"]["ticks"]
    return [t for t in ticks if t["status"] != "STARTED"]


def finished(port: int, run_id: str) -> dict | None:
    mine = [r for r in runs(port) if r["runId"] == run_id]
    return mine[0] if mine and mine[0]["status"] in ("SUCCESS", "FAILURE", "CANCELED") else None


def check_executions(port: int, asset: str, check: str) -> list[dict]:
    query = f"""{{ assetCheckExecutions(assetKey: {{path: ["{asset}"]}}, checkName: "{check}", limit: 50) {{
      runId status evaluation {{ severity description }} }} }}"""
    return [e for e in graphql(port, query)["assetCheckExecutions"] if e["evaluation"]]


def launch(port: int, session: dt.date) -> str:
    mutation = f"""mutation {{ launchRun(executionParams: {{
      selector: {{ {LOCATION}, jobName: "nightly" }},
      executionMetadata: {{ tags: [{{ key: "dagster/partition", value: "{session}" }}] }} }}) {{
      __typename ... on LaunchRunSuccess {{ run {{ runId status }} }}
      ... on PythonError {{ message }} ... on RunConfigValidationInvalid {{ errors {{ message }} }} }} }}"""
    result = graphql(port, mutation)["launchRun"]
    assert result["__typename"] == "LaunchRunSuccess", result
    assert result["run"]["status"] == "QUEUED"  # the queued run coordinator: the daemon starts it
    return result["run"]["runId"]
