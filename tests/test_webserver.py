"""The Dagster UI's view of the project: start `dagster dev` on loopback and ask its GraphQL API."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the graph, the CLI or the webserver: run by CI, not the fast loop

ROOT = Path(__file__).resolve().parent.parent

from tests.support.ui import dagster_dev_on, graphql  # noqa: E402

QUERY = """{
  repositoriesOrError { ... on RepositoryConnection { nodes {
    schedules { name cronSchedule executionTimezone scheduleState { status } }
    sensors { name sensorState { status } }
    jobs { name }
  } } }
  assetNodes { assetKey { path } groupName assetChecksOrError { ... on AssetChecks { checks { name } } } }
}"""


@dataclass
class Webserver:
    port: int
    home: Path  # the instance it shows: CLI runs that set DAGSTER_HOME to it appear in the UI


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory):
    """One `dagster dev` for the module (it takes seconds to start); each test runs over its own sessions."""
    tmp_path = tmp_path_factory.mktemp("webserver")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb"),
        "MARKET_MONITOR_SOURCE": "replay",
        "MARKET_MONITOR_REPLAY_DIR": str(tmp_path),
    }
    with dagster_dev_on(env, ready=QUERY) as port:
        yield Webserver(port, home)


def test_ui_shows_assets_checks_schedule_and_sensor(dagster_dev):
    data = graphql(dagster_dev.port, QUERY)
    assets = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert set(assets) == {
        "daily_prices",
        "shares_outstanding",
        "earnings",
        "metrics_daily",
        "watchlist_daily",
        "alerts",
        "slack_notifications",
        "analytics_copy",
    }
    checks = {k: {c["name"] for c in v["assetChecksOrError"]["checks"]} for k, v in assets.items()}
    assert checks["daily_prices"] == {
        "bars_present",
        "names_arriving",
        "prices_valid",
        "moves_plausible",
        "session_fresh",
    }
    assert checks["alerts"] == {"data_complete", "session_fresh"}
    assert checks["slack_notifications"] == {"notifications_delivered"}
    [repo] = data["repositoriesOrError"]["nodes"]
    schedules = {s["name"]: s for s in repo["schedules"]}
    assert {
        name: (s["cronSchedule"], s["executionTimezone"], s["scheduleState"]["status"]) for name, s in schedules.items()
    } == {
        "nightly_schedule": ("30 18 * * 1-5", "America/New_York", "RUNNING"),
    }
    assert {s["name"] for s in repo["sensors"]} == {
        "slack_on_run_failure",
        "slack_on_failed_checks",
        "explain_unrun_checks",
        "freshness_sensor",
    }
    assert {"nightly", "freshness"} <= {j["name"] for j in repo["jobs"]}


RUNS = """{ pipelineOrError(params: {pipelineName: "nightly", repositoryName: "__repository__",
                                  repositoryLocationName: "pipelines.definitions"}) {
  ... on Pipeline { runs { runId status tags { key value } } } } }"""


def cli_setup(dagster_dev: "Webserver", tmp_path: Path, **snapshot) -> tuple[Path, dict]:
    """A synthetic snapshot and the environment a CLI run needs to record its run in the module's instance."""
    from tests.support.synthetic import basic_snapshot, write_config

    snap = basic_snapshot(tmp_path / "snap", **snapshot)
    env = {
        "DAGSTER_HOME": str(dagster_dev.home),
        "MARKET_MONITOR_DB": str(tmp_path / "cli.duckdb"),
        "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml")),
    }
    return snap, env


def test_cli_runs_are_listed_under_the_nightly_job_with_their_labels(dagster_dev, tmp_path):
    from tests.support.cli import cli

    snap, env = cli_setup(dagster_dev, tmp_path)
    run = cli("run", "--source", "replay", "--replay-dir", str(snap), "--end", "2024-08-16", env=env)
    assert run.returncode == 0, run.stderr
    runs = graphql(dagster_dev.port, RUNS)["pipelineOrError"]["runs"]
    [listed] = [r for r in runs if r["runId"] in run.stdout]
    tags = {t["key"]: t["value"] for t in listed["tags"]}
    assert listed["status"] == "SUCCESS"
    assert tags["market_monitor/source"] == "replay" and tags["market_monitor/trigger"] == "cli"
    assert tags["market_monitor/sessions"] == "2024-08-16 .. 2024-08-16"


def test_a_run_launched_with_dagster_job_execute_says_it_was_launched_by_hand(dagster_dev, tmp_path):
    """`dagster job execute` is not the UI: the run says `manual` (it said `ui`), with its source and partition."""

    snap, env = cli_setup(dagster_dev, tmp_path)
    env = {**os.environ, **env, "MARKET_MONITOR_SOURCE": "replay", "MARKET_MONITOR_REPLAY_DIR": str(snap)}
    dagster = Path(sys.executable).parent / "dagster"
    job = subprocess.run(
        [str(dagster), "job", "execute", "-m", "pipelines.definitions", "-j", "nightly"]
        + ["--tags", json.dumps({"dagster/partition": "2024-08-15"})],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert job.returncode == 0, job.stderr[-2000:]
    query = "{ runsOrError { ... on Runs { results { runId jobName tags { key value } } } } }"
    runs = graphql(dagster_dev.port, query)["runsOrError"]["results"]
    [tags] = [{t["key"]: t["value"] for t in r["tags"]} for r in runs if r["runId"] in job.stderr]
    assert tags["market_monitor/trigger"] == "manual" and tags["market_monitor/source"] == "replay"


def readme_ui_lines() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("**See it in the Dagster UI.**")[1].split("```bash\n")[1].split("```")[0]
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


def test_the_readmes_dagster_dev_line_shows_the_demos_run(tmp_path):
    """The README's three lines, as written (DAGSTER_HOME on a copy of dagster_home/, the database in tmp): the
    demo's CLI run is in the UI that `dagster dev` line starts, under `nightly`, with the replay source."""
    import shlex

    export, run_line, dev_line = readme_ui_lines()
    assert export == "export DAGSTER_HOME=$PWD/dagster_home"
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb")}
    bin_dir = Path(sys.executable).parent
    run_args = shlex.split(run_line)
    assert run_args[0] == ".venv/bin/market-monitor"
    demo = subprocess.run(
        [str(bin_dir / "market-monitor"), *run_args[1:]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    words = shlex.split(dev_line)
    settings = dict(w.split("=", 1) for w in words if "=" in w and not w.startswith("-"))
    command = [w for w in words if w not in {f"{k}={v}" for k, v in settings.items()}]
    assert command[:2] == [".venv/bin/dagster", "dev"]
    runs_query = "{ runsOrError { ... on Runs { results { runId jobName status tags { key value } } } } }"
    with dagster_dev_on({**env, **settings}, ready=QUERY, args=command[1:]) as port:
        runs = graphql(port, runs_query)["runsOrError"]["results"]
    [shown] = [r for r in runs if r["runId"] in demo.stdout]
    tags = {t["key"]: t["value"] for t in shown["tags"]}
    assert shown["jobName"] == "nightly" and shown["status"] == "SUCCESS"
    assert tags["market_monitor/source"] == "replay" and tags["market_monitor/sessions"] == "2025-11-07 .. 2025-11-07"


STATUSES = """{ assetNodes { assetKey { path } assetPartitionStatuses { ... on TimePartitionStatuses {
  ranges { startKey endKey status } } } } }"""


def partition_status(port: int, key: str) -> dict[str, str]:
    """Each asset's status for one session's partition, as the UI's partition view shows it."""
    out = {}
    for node in graphql(port, STATUSES)["assetNodes"]:
        ranges = (node["assetPartitionStatuses"] or {}).get("ranges") or []
        status = [r["status"] for r in ranges if r["startKey"] <= key <= r["endKey"]]
        out["/".join(node["assetKey"]["path"])] = status[0] if status else "MISSING"
    return out


def test_a_failed_session_turns_green_when_the_next_night_brings_its_data(dagster_dev, tmp_path):
    """A night with no bars at all fails red in every asset; the next night's re-read window brings that session's
    bars, and its partitions turn green in the same run, without anyone re-running the failed one, even though one
    name (AMD, gone for good) never arrives for it: the session has its data as a normal night with a gap would,
    and the repaired materialization names what is still missing."""
    from tests.support.cli import cli

    snap, env = cli_setup(dagster_dev, tmp_path)
    kept = {p: p.read_text() for p in snap.glob("*.csv")}
    for path, text in kept.items():
        path.write_text("".join(line for line in text.splitlines(True) if not line.startswith("2024-07-17,")))
    replay = ("run", "--source", "replay", "--replay-dir", str(snap))
    assert cli(*replay, "--end", "2024-07-16", env=env).returncode == 0
    assert cli(*replay, "--end", "2024-07-17", env=env).returncode != 0  # no bars at all for the session
    red = partition_status(dagster_dev.port, "2024-07-17")
    assert red["daily_prices"] == red["metrics_daily"] == red["alerts"] == "FAILED", red
    for path, text in kept.items():  # the data arrives, except AMD's
        if path.name != "AMD.csv":
            path.write_text(text)
    assert cli(*replay, "--end", "2024-07-18", env=env).returncode == 0
    green = partition_status(dagster_dev.port, "2024-07-17")
    assert {k: v for k, v in green.items() if v != "MATERIALIZED"} == {}
    query = """{ assetNodes(assetKeys: [{path: ["daily_prices"]}]) { assetMaterializations(partitions: ["2024-07-17"],
      limit: 1) { metadataEntries { label ... on JsonMetadataEntry { jsonString } } } } }"""
    [node] = graphql(dagster_dev.port, query)["assetNodes"]
    entries = {e["label"]: e.get("jsonString") for e in node["assetMaterializations"][0]["metadataEntries"]}
    assert json.loads(entries["symbols_missing"]) == ["AMD"] and "completed_by_run_of" in entries


MESSAGES = """{ assetNodes(assetKeys: [{path: ["slack_notifications"]}]) { assetMaterializations(limit: 1) {
  partition metadataEntries { label ... on MarkdownMetadataEntry { mdStr } } } } }"""


def test_the_messages_the_ui_shows_are_wrapped_not_cut_off(dagster_dev, tmp_path):
    """slack_notifications' `messages` metadata is a monospace block the UI does not wrap: a digest's long lines ran
    past the view's edge. Every line now fits (100 characters), and no word of the message is lost."""
    import pandas as pd

    from tests.support.cli import cli

    # sessions no other test of the module materializes: they share one instance and count partitions
    snap, env = cli_setup(dagster_dev, tmp_path, end="2024-08-09")
    for path in snap.glob("*.csv"):  # every name -10% and ^IXIC -5% on the last session: a long critical digest
        if path.name not in ("shares.csv", "eps.csv"):
            frame = pd.read_csv(path)
            frame.loc[frame.index[-1], ["open", "high", "low", "close"]] *= 0.95 if path.name == "IXIC.csv" else 0.9
            frame.to_csv(path, index=False)
    run = cli("run", "--source", "replay", "--replay-dir", str(snap), "--end", "2024-08-09", env=env)
    assert run.returncode == 0, run.stderr
    [node] = graphql(dagster_dev.port, MESSAGES)["assetNodes"]
    [latest] = node["assetMaterializations"]
    [shown] = [e["mdStr"] for e in latest["metadataEntries"] if e["label"] == "messages"]
    assert "AI leaders: Sector sell-off" in shown
    assert [line for line in shown.splitlines() if len(line) > 100] == []
    sent = run.stdout.split("this message would be sent ---")[1].split("--- and in its thread")[0]
    assert set(sent.split()) <= set(shown.split())


PARTITIONS = """{ assetNodes { assetKey { path } partitionStats { numMaterialized numFailed } } }"""


def partition_stats(port: int) -> dict[str, tuple[int, int]]:
    nodes = graphql(port, PARTITIONS)["assetNodes"]
    return {
        "/".join(n["assetKey"]["path"]): (n["partitionStats"]["numMaterialized"], n["partitionStats"]["numFailed"])
        for n in nodes
    }


CHECKS = """{ assetNodes(assetKeys: [{path: ["daily_prices"]}]) { assetChecksOrError { ... on AssetChecks {
  checks { name executionForLatestMaterialization { status } } } } } }"""


def test_a_range_run_shows_each_session_materialized_and_a_failed_range_its_sessions_failed(dagster_dev, tmp_path):
    """The event log the shipped instance writes (pipelines/orchestration/event_log_storage.py), as the UI reads it."""
    from tests.support.cli import cli

    snap, env = cli_setup(dagster_dev, tmp_path)
    before = partition_stats(dagster_dev.port)  # the module's other tests share the instance, not these sessions
    ok = cli(
        "run", "--source", "replay", "--replay-dir", str(snap), "--start", "2024-08-19", "--end", "2024-08-23", env=env
    )
    assert ok.returncode == 0, ok.stderr
    [prices] = graphql(dagster_dev.port, CHECKS)["assetNodes"]
    checks = {
        c["name"]: (c["executionForLatestMaterialization"] or {}).get("status")
        for c in prices["assetChecksOrError"]["checks"]
    }
    # session_fresh is the freshness job's: `dagster dev`'s daemon runs it when freshness_sensor ticks, so whether it
    # has run (or is running) at this moment depends on the machine's speed, not on this run
    assert "session_fresh" in checks
    del checks["session_fresh"]
    assert checks == {
        "bars_present": "SUCCEEDED",
        "names_arriving": "SUCCEEDED",
        "prices_valid": "SUCCEEDED",
        "moves_plausible": "SUCCEEDED",
    }
    amd = snap / "AMD.csv"
    amd.write_text(amd.read_text().replace("2024-08-28,100.0,", "2024-08-28,oops,"))
    bad = cli(
        "run", "--source", "replay", "--replay-dir", str(snap), "--start", "2024-08-26", "--end", "2024-08-30", env=env
    )
    assert bad.returncode == 2 and "AMD.csv line 62" in bad.stderr, bad.stderr  # bad input: exit 2
    after = partition_stats(dagster_dev.port)
    stats = {key: (done - before[key][0], failed - before[key][1]) for key, (done, failed) in after.items()}
    # the failed step's sessions and those of the steps it held back are failed; fundamentals ran: 10 sessions
    assert stats == {
        "daily_prices": (5, 5),
        "shares_outstanding": (10, 0),
        "earnings": (10, 0),
        "metrics_daily": (5, 5),
        "watchlist_daily": (5, 5),
        "alerts": (5, 5),
        "slack_notifications": (5, 5),
        "analytics_copy": (5, 5),
    }
    # the checks the failed run never reached say so, and why; they read "Execution failed" with no word before
    query = """{ assetNodes(assetKeys: [{path: ["daily_prices"]}, {path: ["alerts"]}]) { assetKey { path }
      assetChecksOrError { ... on AssetChecks { checks { name executionForLatestMaterialization { runId status
      evaluation { severity description } } } } } } }"""
    shown = {
        (node["assetKey"]["path"][0], c["name"]): c["executionForLatestMaterialization"]
        for node in graphql(dagster_dev.port, query)["assetNodes"]
        for c in node["assetChecksOrError"]["checks"]
        if c["name"] != "session_fresh"
    }
    assert set(shown) == {("daily_prices", n) for n in checks} | {("alerts", "data_complete")}
    for execution in shown.values():
        assert execution["runId"] in bad.stdout + bad.stderr
        assert execution["status"] == "FAILED" and execution["evaluation"]["severity"] == "WARN", execution
        described = execution["evaluation"]["description"]
        assert described.startswith("not evaluated: step daily_prices failed") and "AMD.csv line 62" in described
