"""Every script in benchmarks/ runs at a tiny size and prints its figures: a schema or API change that breaks a
benchmark fails here, not months later when someone needs the numbers. Speed is not asserted (benchmarks measure
it); only that each run completed and reported what it promises."""

import json
import os
import subprocess
import sys

import pytest

from tests.support import postgres  # at import: it reads the server's settings before isolated_env drops them
from tests.support.cli import ROOT

pytestmark = pytest.mark.slow  # each runs its script in a subprocess


def run_benchmark(script: str, *args: str, env: dict | None = None) -> list[dict]:
    done = subprocess.run(
        [sys.executable, f"benchmarks/{script}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_every_benchmark_script_has_a_smoke_test():
    scripts = {p.name for p in (ROOT / "benchmarks").glob("*.py")}
    assert scripts == {
        "metrics_benchmark.py",
        "live_fetch_benchmark.py",
        "pipeline_benchmark.py",
        "instance_benchmark.py",
    }


def test_metrics_benchmark_prints_its_figures_and_agrees_with_its_reference():
    [figures] = run_benchmark("metrics_benchmark.py", "--tickers", "5", "--years", "1")
    assert figures["rows"] > 0 and figures["mismatches"] == 0
    assert {"reference_s", "full_recompute_s", "incremental_s", "incremental_2x_history_s"} <= set(figures)


def test_live_fetch_benchmark_prints_its_figures_for_a_complete_fetch():
    [figures] = run_benchmark("live_fetch_benchmark.py", "--sizes", "5", "--delay", "0")
    assert figures["names"] == 6 and figures["missing"] == 0 and figures["rows"] == 6 * 10
    assert figures["seconds"] >= 0 and figures["next_night_seconds"] >= 0


def test_pipeline_benchmark_prints_its_figures_for_two_successful_runs():
    [figures] = run_benchmark("pipeline_benchmark.py", "--sizes", "6", "--start", "2024-06-03", "--end", "2024-06-14")
    assert figures["names"] == 6 and figures["sessions"] == 9
    for run in (figures["two_years"], figures["one_more_session"]):
        assert run["exit"] == 0 and run["error"] is None
        assert {"daily_prices", "metrics_daily", "alerts"} <= set(run["steps_s"]) and run["peak_rss_mib"] > 0


def test_pipeline_benchmark_runs_several_baskets():
    args = ("--sizes", "8", "--baskets", "4", "--start", "2024-06-03", "--end", "2024-06-14")
    [figures] = run_benchmark("pipeline_benchmark.py", *args)
    assert figures["baskets"] == 4
    for run in (figures["two_years"], figures["one_more_session"]):
        assert run["exit"] == 0 and run["error"] is None and "watchlist_daily" in run["steps_s"]


def test_instance_benchmark_prints_sqlite_and_postgres_figures_for_successful_runs():
    postgres.server_or_skip()
    tiny = ["--names", "6", "--start", "2024-06-03", "--end", "2024-06-14", "--repeat", "1"]
    rows = run_benchmark("instance_benchmark.py", *tiny, env=postgres.SERVER)
    assert [r["instance"] for r in rows] == ["sqlite", "postgres"]
    for row in rows:
        for run in (row["two_years"], row["one_more_session"]):
            assert run["exit"] == 0 and run["error"] is None and run["seconds"] > 0
